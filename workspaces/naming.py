"""The organization's naming convention applied to workspaces: enforcing it when one is created, and
finding the live workspaces whose ID does not follow it.

The convention itself (its syntax, parser and matcher) is `organizations.naming`; the organization's
convention, parsed against its dimensions, comes from `organizations.selectors.naming_convention_for`.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import replace

from organizations.errors import InvalidError
from organizations.models import Dimension, DimensionValue, Organization
from organizations.naming import NamingCheck
from organizations.selectors import NamingConvention, naming_convention_for

from .identifiers import MAX_LENGTH as MAX_ID_LENGTH
from .models import Workspace, WorkspaceLabel
from .selectors import workspace_ids_taken


def labels_by_key(
    label_values: Iterable[DimensionValue], keys_by_dimension_id: dict[int, str]
) -> dict[str, str]:
    """Label values as the matcher takes them: dimension key -> value key."""
    return {
        keys_by_dimension_id[value.dimension_id]: value.value
        for value in label_values
        if value.dimension_id in keys_by_dimension_id
    }


def enforced_convention(organization: Organization) -> tuple[NamingConvention, dict[int, str]] | None:
    """The organization's convention and its dimensions' keys by id, when it is set and enforced."""
    if not (organization.workspace_naming_enforced and organization.workspace_naming_pattern):
        return None
    dimensions = list(Dimension.objects.filter(organization=organization).prefetch_related("values"))
    convention = naming_convention_for(organization=organization, dimensions=dimensions)
    if not convention.active:
        return None  # a convention that no longer parses is shown on the Naming page, not enforced
    return convention, {d.pk: d.key for d in dimensions}


def check_follows_convention(
    *, convention: NamingConvention, keys_by_dimension_id: dict[int, str], slug: str, label_values
) -> None:
    """InvalidError on the "slug" field, explaining the mismatch and suggesting an ID, unless `slug`
    with these labels follows the convention."""
    labels = labels_by_key(label_values, keys_by_dimension_id)
    # Every label is chosen at creation: a dimension without one cannot be matched by any of its values.
    for key in convention.dimension_keys:
        labels.setdefault(key, "")
    result = convention.check(slug, labels={k: v for k, v in labels.items() if v}, name="")
    if result is None or result.state == "conforms":
        return
    if result.state == "fits" or any(not labels[key] for key in convention.dimension_keys):
        missing = [convention.dimensions[k].name for k in convention.dimension_keys if not labels[k]]
        message = (
            f"The naming convention {convention.source} needs a value of {' and '.join(missing)}: "
            "choose one, or an ID that does not depend on it."
        )
        raise InvalidError(message, field="slug")
    hint = f" Try “{result.suggestion}”." if result.suggestion else ""
    raise InvalidError(
        f"“{slug}” breaks the naming convention {convention.source}: {result.message}{hint}", field="slug"
    )


def workspaces_off_convention(
    *, organization: Organization, convention: NamingConvention
) -> list[tuple[str, NamingCheck]]:
    """The organization's live workspaces whose ID does not follow `convention` with their own labels,
    as (ID, what the convention says of it), in ID order. Two queries whatever the number of
    workspaces; each distinct combination of labels compiles one expression (and re caches it)."""
    if not convention.active:
        return []
    workspaces = Workspace.objects.live().filter(organization=organization)
    labels: dict[int, dict[str, str]] = defaultdict(dict)
    rows = WorkspaceLabel.objects.filter(
        workspace__in=workspaces, dimension__key__in=convention.dimension_keys
    )
    for workspace_id, key, value in rows.values_list("workspace_id", "dimension__key", "value__value"):
        labels[workspace_id][key] = value
    off = []
    for pk, slug in workspaces.order_by("slug").values_list("pk", "slug"):
        result = convention.check(slug, labels=labels.get(pk, {}))
        if result is not None and result.state == "fits":
            named = " and ".join(
                f"{convention.dimensions[key].name} (its ID says “{convention.dimensions[key].values.get(value, value)}”)"
                for key, value in result.inferred.items()
            )
            result = replace(result, message=f"Its ID fits, but it has no label of {named}.")
        if result is not None and result.state != "conforms":
            off.append((slug, result))
    return off


def available_suggestion(*, convention: NamingConvention, suggestion: str, labels: dict[str, str]) -> str:
    """`suggestion`, or when its ID is taken the first of "<suggestion>-2" … "-9" that still follows
    the convention and is free; "" when none is (two queries)."""
    if not suggestion:
        return ""
    candidates = [suggestion] + [f"{suggestion}-{n}" for n in range(2, 10)]
    candidates = [
        c for c in candidates
        if len(c) <= MAX_ID_LENGTH and getattr(convention.check(c, labels=labels), "state", "") == "conforms"
    ]  # fmt: skip
    taken = workspace_ids_taken(candidates)
    return next((c for c in candidates if c not in taken), "")
