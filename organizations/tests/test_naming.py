"""The naming convention's safe syntax: parsing, matching, explaining and suggesting (no database)."""

import time

import pytest

from organizations.naming import (
    ConventionError,
    Dimension,
    check,
    describe,
    example,
    parse_convention,
    suggest,
)

DIMENSIONS = {
    "team": Dimension("team", "Team", {"platform": "Platform", "ml-research": "ML Research"}),
    "environment": Dimension(
        "environment", "Environment", {"dev": "Development", "staging": "Staging", "prod": "Production"}
    ),
    "project": Dimension("project", "Project", {}),
}
KEYS = list(DIMENSIONS)
TEAM_ENV_NAME = "{team}-{environment}-{name}"


def tokens(text=TEAM_ENV_NAME):
    return parse_convention(text, dimension_keys=KEYS)


def test_a_convention_parses_into_literals_placeholders_and_free_parts():
    parsed = tokens("ml-{team}-{name:digits}-*")
    assert [(t.kind, t.text) for t in parsed] == [
        ("literal", "ml-"),
        ("dimension", "team"),
        ("literal", "-"),
        ("name", "digits"),
        ("literal", "-"),
        ("any", ""),
    ]
    assert "".join(t.source for t in parsed) == "ml-{team}-{name:digits}-*"
    assert parse_convention("") == ()


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("{teem}-{name}", "“{teem}” is not a dimension key. The organization's dimensions are: {team}"),
        ("{team}-{name", "is never closed"),
        ("{team}}-{name}", "closes nothing"),
        ("{{team}}-{name}", "is not closed before the next"),
        ("{}-{name}", "names nothing"),
        ("{name:emoji}", "{name}, {name:letters}, {name:digits} or {name:alnum}"),
        ("{team:x}-{name}", "only {name} takes an option"),
        ("{name}-{name}", "Use {name} once"),
        ("{team}-{team}-{name}", "Use {team} once"),
        ("*{name}", "side by side"),
        ("{name}**", "side by side"),
        ("a-*-*-*-*", "at most 3 free parts"),
        ("ML-{name}", "write “ml-” instead of “ML-”"),
        ("ml_{name}", "“_” can't be part of a workspace ID"),
        ("ml {name}", "A space can't be part of a workspace ID"),
        ("ml-(a+)+$", "“(” can't be part of a workspace ID"),
        ("^ml-.*$", "“^” can't be part of a workspace ID"),
        ("ml-[a-z]+", "“[” can't be part of a workspace ID"),
        ("ml-é{name}", "“é” can't be part of a workspace ID"),
        ("ml-١{name}", "can't be part of a workspace ID"),  # an Arabic-Indic digit is not an ID digit
        ("ml-sandbox", "allows one ID only"),
        ("-{name}", "start with a letter"),
        ("1-{name}", "start with a letter"),
        ("{name:digits}-ml", "can't start with digits"),
        ("{name}-", "don't end with a hyphen"),
        ("{team}--{name}", "two hyphens in a row"),
        ("x" * 201, "200 characters"),
    ],
)
def test_a_broken_convention_is_refused_with_its_reason(text, says):
    with pytest.raises(ConventionError) as refused:
        parse_convention(text, dimension_keys=KEYS)
    assert says in refused.value.message


def test_without_dimension_keys_a_placeholder_still_has_to_look_like_a_key():
    assert parse_convention("{whatever}-{name}")[0].text == "whatever"
    with pytest.raises(ConventionError):
        parse_convention("{Bad Key}-{name}")


def test_an_id_with_the_chosen_labels_conforms_or_is_explained():
    parsed = tokens()
    labels = {"team": "platform", "environment": "prod"}
    ok = check(parsed, "platform-prod-churn", labels=labels, dimensions=DIMENSIONS)
    assert ok.state == "conforms" and ok.ok

    off = check(parsed, "churn-model", labels=labels, dimensions=DIMENSIONS, name="Churn model")
    assert off.state == "mismatch" and not off.ok
    assert off.message == (
        "Should start with “platform-prod-” (the Team key of “Platform”, then the Environment key of "
        "“Production”)."
    )
    assert off.suggestion == "platform-prod-churn-model"


def test_a_wrong_ending_is_explained():
    parsed = tokens("{name}-{environment}")
    result = check(parsed, "churn-staging", labels={"environment": "prod"}, dimensions=DIMENSIONS)
    assert result.message == "Should end with “-prod” (the Environment key of “Production”)."
    assert result.suggestion == "churn-prod"  # the old environment word is the person's own here


def test_a_free_part_narrowed_to_digits_is_explained():
    parsed = tokens("ticket-{name:digits}")
    assert check(parsed, "ticket-42", labels={}, dimensions=DIMENSIONS).state == "conforms"
    result = check(parsed, "ticket-abc", labels={}, dimensions=DIMENSIONS)
    assert result.state == "mismatch"
    assert "a name of your own (digits)" in result.message


def test_before_the_labels_are_chosen_an_id_may_fit_and_names_the_labels_it_implies():
    result = check(tokens(), "ml-research-staging-churn", labels={}, dimensions=DIMENSIONS)
    assert result.state == "fits" and result.ok
    assert result.inferred == {"team": "ml-research", "environment": "staging"}
    assert "Team “ML Research” and Environment “Staging”" in result.message
    assert result.suggestion == ""  # nothing to suggest until the labels are chosen

    nowhere = check(tokens(), "churn", labels={}, dimensions=DIMENSIONS)
    assert nowhere.state == "mismatch"
    assert "the Team key, “-”, the Environment key, “-”, then a name of your own" in nowhere.message


def test_a_dimension_without_values_cannot_be_matched():
    result = check(tokens("{project}-{name}"), "anything-here", labels={}, dimensions=DIMENSIONS)
    assert result.state == "needs_labels" and "needs a value of Project" in result.message


def test_label_keys_and_literals_are_matched_literally_never_as_patterns():
    dimensions = {"env": Dimension("env", "Env", {"a": "A"})}
    parsed = parse_convention("{env}-{name}", dimension_keys=["env"])
    # Even a value key that were a pattern would be escaped; "." must not match any character.
    tricky = {"env": Dimension("env", "Env", {"a.b": "Dotted"})}
    assert check(parsed, "axb-x", labels={"env": "a.b"}, dimensions=tricky).state == "mismatch"
    assert check(parsed, "a-x", labels={"env": "a"}, dimensions=dimensions).state == "conforms"


@pytest.mark.parametrize(
    "workspace_id",
    ["a" * 50, "a-" * 24 + "a", "a" * 100_000, "-" * 5_000, "platform-" * 5_000, "\n", "a\n", ""],
)
def test_adversarial_ids_are_answered_quickly(workspace_id):
    parsed = parse_convention("a*-*-{name}", dimension_keys=KEYS)
    started = time.perf_counter()
    result = check(parsed, workspace_id, labels={}, dimensions=DIMENSIONS)
    assert time.perf_counter() - started < 0.5
    assert result.state in {"conforms", "mismatch"}


def test_a_trailing_newline_never_conforms():
    assert check(tokens("ml-{name}"), "ml-x\n", labels={}, dimensions=DIMENSIONS).state == "mismatch"


def test_adversarial_conventions_are_refused_or_parsed_quickly():
    for text in ["{" * 10_000, "}" * 10_000, "*" * 10_000, "{name}" * 1_000, "a" * 10**6]:
        started = time.perf_counter()
        with pytest.raises(ConventionError):
            parse_convention(text, dimension_keys=KEYS)
        assert time.perf_counter() - started < 0.5


def test_suggestions_keep_the_persons_words_and_follow_the_convention():
    parsed = tokens()
    labels = {"team": "platform", "environment": "staging"}
    # The label words already in the ID are not repeated in the free part.
    assert suggest(parsed, labels, workspace_id="platform-churn-staging") == "platform-staging-churn"
    assert (
        suggest(parsed, labels, workspace_id="", name="Fraud Detection") == "platform-staging-fraud-detection"
    )
    assert suggest(parsed, labels, workspace_id="platform") == "platform-staging-main"
    assert suggest(parsed, {"team": "platform"}, workspace_id="x") == ""  # a label is missing
    long = suggest(parsed, labels, workspace_id="model-monitoring-and-alerting-for-everything-forever")
    assert len(long) <= 50 and not long.endswith("-") and long.startswith("platform-staging-model-")
    assert suggest(tokens("{team}-{name:alnum}"), labels, workspace_id="churn-model") == "platform-churnmodel"
    assert suggest(tokens("{team}-{name:digits}"), labels, workspace_id="churn") == "platform-1"
    assert suggest(tokens("ml-*"), {}, workspace_id="churn") == "ml-churn"


def test_the_settings_page_describes_the_convention_and_gives_an_example():
    parsed = tokens()
    assert describe(parsed, DIMENSIONS) == (
        "the Team key, “-”, the Environment key, “-”, then a name of your own"
    )
    assert example(parsed, DIMENSIONS) == "platform-dev-churn-model"
    assert example(tokens("{project}-{name}"), DIMENSIONS) == ""  # Project has no value yet


def test_the_first_problem_written_is_the_one_reported():
    with pytest.raises(ConventionError) as refused:
        parse_convention("{project}_{env}", dimension_keys=KEYS)
    assert "“_” can't be part of a workspace ID" in refused.value.message
