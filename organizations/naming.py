"""Workspace naming conventions: a small safe pattern syntax, its parser, matcher and suggester.

A convention is text such as `{team}-{environment}-{name}`, made of:

- literal text: lowercase letters, digits and hyphens (the only characters a workspace ID has);
- `{<dimension key>}`: the key of the workspace's value of that dimension (`{environment}` is
  `production` on a workspace labelled Environment = Production);
- `{name}`: the free part people choose, letters, digits and hyphens; `{name:letters}`,
  `{name:digits}` and `{name:alnum}` (letters and digits, no hyphen) narrow it; at most one;
- `*`: any text, possibly none.

No user-supplied regular expression is ever evaluated: the parser accepts only the pieces above, and
the matcher compiles its own expression from them, escaping every literal and every value key. Free
parts are few (at most `MAX_FREE_PARTS`), never side by side, and IDs are short, so matching stays
cheap whatever is typed. This module is pure: callers pass the dimensions and labels it needs.
"""

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

MAX_CONVENTION_LENGTH = 200
MAX_FREE_PARTS = 3
# Longer text is refused before any matching: no workspace ID is longer than 50 characters.
MAX_MATCHED_LENGTH = 100
MAX_ID_LENGTH = 50
ID_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-")
NAME_PLACEHOLDER = "name"
FREE_PART_CLASSES = {
    "": ("[a-z0-9-]+", "lowercase letters, digits and hyphens"),
    "letters": ("[a-z]+", "lowercase letters"),
    "digits": ("[0-9]+", "digits"),
    "alnum": ("[a-z0-9]+", "lowercase letters and digits"),
}
ANY_CLASS = "[a-z0-9-]*"
SUGGESTION_FALLBACK = "main"


class ConventionError(ValueError):
    """The convention itself is not valid; `message` says why in a sentence a person can act on."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Token:
    """One piece of a convention: `literal` (text), `dimension` (text is the key), `name` (text is
    the narrowing: "", "letters", "digits" or "alnum") or `any` (`*`)."""

    kind: str
    text: str = ""

    @property
    def is_free(self) -> bool:
        return self.kind in {"name", "any"}

    @property
    def source(self) -> str:
        if self.kind == "literal":
            return self.text
        if self.kind == "dimension":
            return "{" + self.text + "}"
        if self.kind == "name":
            return "{name" + (f":{self.text}" if self.text else "") + "}"
        return "*"


@dataclass(frozen=True)
class NamingCheck:
    """What the convention says of one ID.

    `state` is "conforms" (it matches with the labels given), "fits" (it matches if the labels not
    chosen yet are the ones named in `message`), "mismatch" or "needs_labels" (a placeholder's
    dimension has no label and no value it could match). `suggestion` is a conforming ID made from the
    labels, when every placeholder has one.
    """

    state: str
    message: str
    suggestion: str = ""
    inferred: dict[str, str] = field(default_factory=dict)  # dimension key -> value key, for "fits"

    @property
    def ok(self) -> bool:
        return self.state in {"conforms", "fits"}


@dataclass(frozen=True)
class Dimension:
    """What the matcher needs to know of a dimension: its key, its name, its values (key -> name)."""

    key: str
    name: str
    values: Mapping[str, str] = field(default_factory=dict)


def _quote(text: str) -> str:
    return f"“{text}”"


def _parse_placeholder(inner: str, *, dimension_keys, position: int) -> Token:
    if not inner.strip():
        raise ConventionError(
            f"“{{}}” at position {position} names nothing: write a dimension key such as "
            "{environment}, or {name} for the free part."
        )
    head, colon, narrowing = inner.partition(":")
    if head == NAME_PLACEHOLDER:
        if narrowing not in FREE_PART_CLASSES or (colon and not narrowing):
            raise ConventionError(
                f"“{{{inner}}}”: the free part is written {{name}}, {{name:letters}}, {{name:digits}} "
                "or {name:alnum}."
            )
        return Token("name", narrowing)
    if colon:
        raise ConventionError(f"“{{{inner}}}”: only {{name}} takes an option after a colon.")
    if dimension_keys is not None and inner not in dimension_keys:
        known = ", ".join("{" + key + "}" for key in dimension_keys) or "none yet"
        raise ConventionError(
            f"“{{{inner}}}” is not a dimension key. The organization's dimensions are: {known}."
        )
    if dimension_keys is None and not re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", inner, re.ASCII):
        raise ConventionError(f"“{{{inner}}}” is not a dimension key.")
    return Token("dimension", inner)


def _check_literal(text: str) -> None:
    for char in text:
        if char not in ID_CHARACTERS:
            if char.isupper() and char.lower() in ID_CHARACTERS:
                raise ConventionError(
                    f"Workspace IDs are lowercase: write {_quote(text.lower())} instead of {_quote(text)}."
                )
            shown = "a space" if char.isspace() else _quote(char)
            raise ConventionError(
                f"{shown[0].upper()}{shown[1:]} can't be part of a workspace ID: between placeholders, "
                "use lowercase letters, digits and hyphens."
            )


def parse_convention(text: str, *, dimension_keys: Sequence[str] | None = None) -> tuple[Token, ...]:
    """The tokens of `text`, or ConventionError naming the first problem.

    With `dimension_keys`, every `{key}` must be one of them. An empty text is no convention (no
    tokens).
    """
    if len(text) > MAX_CONVENTION_LENGTH:
        raise ConventionError(f"Keep the convention to {MAX_CONVENTION_LENGTH} characters.")
    tokens: list[Token] = []
    position, literal = 0, ""
    while position < len(text):
        char = text[position]
        if char == "{":
            end = text.find("}", position + 1)
            nested = text.find("{", position + 1)
            if end == -1:
                raise ConventionError(f"The “{{” at position {position + 1} is never closed with “}}”.")
            if nested != -1 and nested < end:
                raise ConventionError(
                    f"The “{{” at position {position + 1} is not closed before the next “{{”."
                )
            if literal:
                _check_literal(literal)  # in the order they are written: the first problem first
                tokens.append(Token("literal", literal))
                literal = ""
            tokens.append(
                _parse_placeholder(
                    text[position + 1 : end], dimension_keys=dimension_keys, position=position + 1
                )
            )
            position = end + 1
            continue
        if char == "}":
            raise ConventionError(f"The “}}” at position {position + 1} closes nothing.")
        if char == "*":
            if literal:
                _check_literal(literal)  # in the order they are written: the first problem first
                tokens.append(Token("literal", literal))
                literal = ""
            tokens.append(Token("any"))
        else:
            literal += char
        position += 1
    if literal:
        tokens.append(Token("literal", literal))
    _check_tokens(tokens)
    return tuple(tokens)


def _check_tokens(tokens: list[Token]) -> None:
    for token in tokens:
        if token.kind == "literal":
            _check_literal(token.text)
    if not tokens:
        return
    names = [t for t in tokens if t.kind == "name"]
    if len(names) > 1:
        raise ConventionError("Use {name} once: it is the one part people choose freely.")
    seen = set()
    for token in tokens:
        if token.kind == "dimension":
            if token.text in seen:
                raise ConventionError(f"Use {token.source} once.")
            seen.add(token.text)
    if sum(t.is_free for t in tokens) > MAX_FREE_PARTS:
        raise ConventionError(f"Use at most {MAX_FREE_PARTS} free parts ({{name}} and “*” together).")
    for before, after in zip(tokens, tokens[1:], strict=False):
        if before.is_free and after.is_free:
            raise ConventionError(
                f"{_quote(before.source + after.source)}: two free parts side by side can't be told apart; "
                "put text or a placeholder between them."
            )
    if all(t.kind == "literal" for t in tokens):
        raise ConventionError(
            "A convention without placeholders allows one ID only: add {name}, “*” or a dimension key."
        )
    first, last = tokens[0], tokens[-1]
    if first.kind == "literal" and not first.text[0].isalpha():
        raise ConventionError("Workspace IDs start with a letter, so the convention must too.")
    if first.kind == "name" and first.text == "digits":
        raise ConventionError("Workspace IDs start with a letter, so the convention can't start with digits.")
    if last.kind == "literal" and last.text.endswith("-"):
        raise ConventionError("Workspace IDs don't end with a hyphen, so the convention can't either.")
    if any(t.kind == "literal" and "--" in t.text for t in tokens):
        raise ConventionError("Workspace IDs never have two hyphens in a row.")


def describe(tokens: Sequence[Token], dimensions: Mapping[str, Dimension] | None = None) -> str:
    """The convention in words: "the Team key, “-”, the Environment key, “-”, a name of your own"."""
    dimensions = dimensions or {}
    parts = []
    for token in tokens:
        if token.kind == "literal":
            parts.append(_quote(token.text))
        elif token.kind == "dimension":
            dimension = dimensions.get(token.text)
            parts.append(f"the {dimension.name if dimension else token.text} key")
        elif token.kind == "name":
            narrowed = f" ({FREE_PART_CLASSES[token.text][1]})" if token.text else ""
            parts.append(f"a name of your own{narrowed}")
        else:
            parts.append("anything")
    if len(parts) > 1:
        return ", ".join(parts[:-1]) + ", then " + parts[-1]
    return "".join(parts)


@lru_cache(maxsize=256)
def _alternation(keys: tuple[str, ...]) -> str:
    """Any one of `keys`, escaped, longest first (a dimension's values, for a label not chosen yet)."""
    return "|".join(re.escape(key) for key in sorted(keys, key=len, reverse=True)) or "(?!)"


@lru_cache(maxsize=4096)
def _compile(pattern: str) -> re.Pattern:
    return re.compile(pattern, re.ASCII)


def _pattern(tokens: Sequence[Token], chosen: Mapping[str, str], dimensions: Mapping[str, Dimension]):
    """A regular expression compiled from the parsed tokens (never from the user's text), with a named
    group for every dimension whose value is not chosen yet (matching any of its value keys)."""
    parts, groups = [], 0
    for token in tokens:
        if token.kind == "literal":
            parts.append(re.escape(token.text))
        elif token.kind == "dimension":
            if token.text in chosen:
                parts.append(re.escape(chosen[token.text]))
            else:
                dimension = dimensions.get(token.text)
                alternatives = _alternation(tuple(dimension.values) if dimension else ())
                parts.append(f"(?P<d{groups}>{alternatives})")
                groups += 1
        elif token.kind == "name":
            parts.append(FREE_PART_CLASSES[token.text][0])
        else:
            parts.append(ANY_CLASS)
    return _compile("".join(parts))


def _fixed_prefix(tokens, chosen) -> tuple[str, list[Token]]:
    """The text every conforming ID starts with (literals and chosen values before the first free or
    unchosen part), and the tokens it comes from."""
    text, used = "", []
    for token in tokens:
        if token.kind == "literal":
            text += token.text
        elif token.kind == "dimension" and token.text in chosen:
            text += chosen[token.text]
        else:
            break
        used.append(token)
    return text, used


def _fixed_suffix(tokens, chosen) -> tuple[str, list[Token]]:
    text, used = "", []
    for token in reversed(tokens):
        if token.kind == "literal":
            text = token.text + text
        elif token.kind == "dimension" and token.text in chosen:
            text = chosen[token.text] + text
        else:
            break
        used.insert(0, token)
    return text, used


def _from_words(used: list[Token], chosen, dimensions) -> str:
    """Where a fixed part comes from, in words: "the Team key of “Platform”, then the Environment …"."""
    words = []
    for token in used:
        if token.kind == "dimension":
            dimension = dimensions.get(token.text)
            name = dimension.name if dimension else token.text
            label = dimension.values.get(chosen[token.text], "") if dimension else ""
            words.append(f"the {name} key" + (f" of {_quote(label)}" if label else ""))
    return ", then ".join(words)


def _free_text(workspace_id: str, label_keys: Iterable[str], fallback: str) -> str:
    """The part of an ID (or of `fallback`, a name) that is the person's own: its words without the
    label keys in it (whole words, "ml-research" as two), which the convention puts in place itself."""
    keys = sorted({key for key in label_keys if key}, key=len, reverse=True)
    for source in (workspace_id, fallback):
        text = "-" + "-".join(w for w in re.split(r"[^a-z0-9]+", source.lower()) if w) + "-"
        for key in keys:
            while f"-{key}-" in text:
                text = text.replace(f"-{key}-", "-")
        if text.strip("-"):
            return text.strip("-")
    return ""


def suggest(
    tokens: Sequence[Token],
    chosen: Mapping[str, str],
    *,
    workspace_id: str = "",
    name: str = "",
    dimensions: Mapping[str, Dimension] | None = None,
) -> str:
    """A conforming ID from the labels `chosen` (dimension key -> value key) and the person's own
    words (from the ID typed, else the name), or "" when a placeholder has no label. Words that are a
    key of the convention's dimensions (from `dimensions`, or the chosen ones) are left out of the
    person's part: the convention puts the right ones in place."""
    if any(t.kind == "dimension" and t.text not in chosen for t in tokens):
        return ""
    label_keys = set(chosen.values())
    for token in tokens:
        if token.kind == "dimension" and dimensions and token.text in dimensions:
            label_keys.update(dimensions[token.text].values)
    own = _free_text(workspace_id, label_keys, name)
    fixed = sum(len(t.text) for t in tokens if t.kind == "literal")
    fixed += sum(len(chosen[t.text]) for t in tokens if t.kind == "dimension")
    room = max(MAX_ID_LENGTH - fixed, 1)
    # The person's words go to {name}, or to the first "*" when there is no {name}; other "*" stay empty.
    own_part = next((t for t in tokens if t.kind == "name"), None) or next(
        (t for t in tokens if t.kind == "any"), None
    )
    text = ""
    for token in tokens:
        if token.kind == "literal":
            text += token.text
        elif token.kind == "dimension":
            text += chosen[token.text]
        elif token is own_part:
            fallback = _narrow(SUGGESTION_FALLBACK, token.text)
            text += _shorten(_narrow(own, token.text), room) or fallback
    if not re.fullmatch(r"[a-z](?:[a-z0-9]|-(?=[a-z0-9])){2,49}", text, re.ASCII):
        return ""  # the labels or the convention make no valid ID (a value key starting with a digit…)
    return text


def _shorten(text: str, room: int) -> str:
    """`text` in at most `room` characters, cut between words when it has to be cut."""
    if len(text) <= room:
        return text
    cut = text[: room + 1].rsplit("-", 1)[0] if "-" in text[: room + 1] else text[:room]
    return cut[:room].strip("-")


def _narrow(text: str, narrowing: str) -> str:
    if narrowing == "letters":
        return re.sub(r"[^a-z]", "", text)
    if narrowing == "digits":
        return re.sub(r"[^0-9]", "", text) or "1"
    if narrowing == "alnum":
        return re.sub(r"[^a-z0-9]", "", text)
    return text


def check(
    tokens: Sequence[Token],
    workspace_id: str,
    *,
    labels: Mapping[str, str],
    dimensions: Mapping[str, Dimension],
    name: str = "",
) -> NamingCheck:
    """Does `workspace_id` follow the convention, with `labels` (dimension key -> value key; a missing
    key is a label not chosen yet)? Explains a mismatch and suggests a conforming ID."""
    chosen = {key: value for key, value in labels.items() if value}
    missing = [t.text for t in tokens if t.kind == "dimension" and t.text not in chosen]
    match = None
    if len(workspace_id) <= MAX_MATCHED_LENGTH:
        match = _pattern(tokens, chosen, dimensions).fullmatch(workspace_id)
    if match and not missing:
        return NamingCheck("conforms", "Follows the naming convention.")
    suggestion = suggest(tokens, chosen, workspace_id=workspace_id, name=name, dimensions=dimensions)
    if len(workspace_id) > MAX_MATCHED_LENGTH:
        return NamingCheck("mismatch", "This ID is too long to follow the naming convention.", suggestion)
    if match:
        inferred = {}
        for index, token in enumerate(_dimension_tokens(tokens, chosen)):
            inferred[token.text] = match.group(f"d{index}")
        named = " and ".join(
            f"{dimensions[key].name} {_quote(dimensions[key].values.get(value, value))}"
            for key, value in inferred.items()
        )
        return NamingCheck(
            "fits", f"Follows the naming convention if you choose {named} in the Organize step.",
            suggestion, inferred,
        )  # fmt: skip
    if missing and not any(dimensions.get(key) and dimensions[key].values for key in missing):
        names = " and ".join(dimensions[k].name if k in dimensions else k for k in missing)
        return NamingCheck("needs_labels", f"The naming convention needs a value of {names}.", suggestion)
    return NamingCheck("mismatch", _explain(tokens, workspace_id, chosen, dimensions), suggestion)


def _dimension_tokens(tokens, chosen) -> list[Token]:
    """The dimension tokens whose value is not chosen, in the order of the named groups of `_pattern`."""
    return [t for t in tokens if t.kind == "dimension" and t.text not in chosen]


def _explain(tokens, workspace_id: str, chosen, dimensions) -> str:
    prefix, used = _fixed_prefix(tokens, chosen)
    if prefix and not workspace_id.startswith(prefix):
        origin = _from_words(used, chosen, dimensions)
        return f"Should start with {_quote(prefix)}" + (f" ({origin})." if origin else ".")
    suffix, used = _fixed_suffix(tokens, chosen)
    if suffix and len(used) < len(tokens) and not workspace_id.endswith(suffix):
        origin = _from_words(used, chosen, dimensions)
        return f"Should end with {_quote(suffix)}" + (f" ({origin})." if origin else ".")
    return f"Doesn't follow the naming convention: expected {describe(tokens, dimensions)}."


def example(tokens: Sequence[Token], dimensions: Mapping[str, Dimension]) -> str:
    """An ID that follows the convention, from each dimension's first value: for the settings page."""
    chosen = {}
    for token in tokens:
        if token.kind == "dimension":
            dimension = dimensions.get(token.text)
            if not dimension or not dimension.values:
                return ""
            chosen[token.text] = next(iter(dimension.values))
    return suggest(tokens, chosen, name="churn-model")


def rename_dimension(text: str, old_key: str, new_key: str) -> str:
    """The convention `text` with every `{old_key}` written `{new_key}` (when a dimension's key changes);
    `text` unchanged if it does not parse."""
    try:
        parsed = parse_convention(text)
    except ConventionError:
        return text
    return "".join(
        "{" + new_key + "}" if t.kind == "dimension" and t.text == old_key else t.source for t in parsed
    )


def uses_dimension(text: str, key: str) -> bool:
    """Does the convention `text` have a `{key}` placeholder?"""
    try:
        return any(t.kind == "dimension" and t.text == key for t in parse_convention(text))
    except ConventionError:
        return False
