"""An organization's dimensions and their values: adding, editing and reordering them.

Managing them needs `manage_policies` (the Owners and Admins who change the organization's settings).
Names are unique in their organization (a dimension) or dimension (a value), case-insensitively, and
so are keys, which are derived from the name when none is given. The team dimension's values follow
the teams (`team_value_create`, `team_value_rename`, called by the team services): only their key and
colour are edited here. Removing a dimension or a value also changes the workspaces that hold it, so
that lives in `governance.services.dimensions`.
"""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.text import slugify

from ..access import Access
from ..audit import AuditAction, audit_record
from ..dimensions import LABEL_COLOR_KEYS, LABEL_COLORS
from ..errors import ConflictError, InvalidError, NotFoundError
from ..models import Dimension, DimensionValue, Organization, Team, slug_validator
from ..naming import rename_dimension
from ..roles import MANAGE_POLICIES
from .limits import check_lengths

MANAGE_DIMENSIONS_PERMISSION = f"organizations.{MANAGE_POLICIES}"
MOVES = {"up": -1, "down": 1}


def dimension_snapshot(dimension: Dimension) -> dict:
    return {"name": dimension.name, "key": dimension.key, "required": dimension.required}


def dimension_value_snapshot(value: DimensionValue) -> dict:
    return {"name": value.label, "key": value.value, "colour": value.color}


def check_may_manage_dimensions(organization: Organization, acting_user) -> Access:
    access = Access.for_user(acting_user, organization)
    access.require(MANAGE_DIMENSIONS_PERMISSION, message="Only Owners and Admins can manage labels.")
    return access


def _clean_key(key: str, *, name: str, model, taken, what: str) -> str:
    """The key given (checked), or one derived from `name` that is not `taken` yet."""
    limit = model._meta.get_field("key" if model is Dimension else "value").max_length
    key = key.strip().lower()
    if key:
        if len(key) > limit:
            raise InvalidError(f"A key can be at most {limit} characters long.", field="key")
        try:
            slug_validator(key)
        except ValidationError as error:
            raise InvalidError(
                "Use lowercase letters, digits and single hyphens in the key.", field="key"
            ) from error
        if key in taken:
            raise ConflictError(f"Another {what} already has the key “{key}”.", field="key")
        return key
    fallback = "dimension" if model is Dimension else "value"  # a name of no Latin letters or digits
    base = slugify(name)[: limit - 4].strip("-") or fallback
    key, n = base, 1
    while key in taken:
        n += 1
        key = f"{base}-{n}"
    return key


def _clean_name(name: str, *, model, field: str, what: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise InvalidError(f"Enter a name for the {what}.", field="name")
    try:
        check_lengths(model, **{field: name})
    except InvalidError as error:
        raise InvalidError(error.message, field="name") from error
    return name


def _check_color(color: str) -> None:
    if color not in LABEL_COLOR_KEYS:
        raise InvalidError("Choose one of the colours.", field="color")


def _save(obj, *, conflict: str, **kwargs):
    try:
        with transaction.atomic():  # a savepoint: a concurrent change to the same name fails only here
            obj.save(**kwargs)
    except IntegrityError as error:
        raise ConflictError(conflict, field="name") from error
    return obj


# --- Dimensions -----------------------------------------------------------------------------------


def _naming_convention_follow_key(
    organization: Organization, old_key: str, new_key: str, acting_user
) -> None:
    """A dimension's new key is written into the naming convention that names it (audited), so the
    convention keeps meaning the same dimension."""
    convention = organization.workspace_naming_pattern
    renamed = rename_dimension(convention, old_key, new_key)
    if renamed == convention:
        return
    organization.workspace_naming_pattern = renamed
    organization.save(update_fields=["workspace_naming_pattern"])
    audit_record(organization=organization, acting_user=acting_user, action=AuditAction.NAMING_CONVENTION_UPDATE,
                 target=organization, before={"convention": convention}, after={"convention": renamed})  # fmt: skip


def _dimension_name_taken(organization: Organization, name: str, exclude=None) -> bool:
    return Dimension.objects.filter(organization=organization, name__iexact=name).exclude(pk=exclude).exists()


@transaction.atomic
def dimension_create(*, organization: Organization, name: str, key: str = "", acting_user) -> Dimension:
    """Add a dimension at the end of the organization's list. `key` defaults to one made from the name.
    It starts without values, so optional: `dimension_update` makes it required once it has some."""
    check_may_manage_dimensions(organization, acting_user)
    name = _clean_name(name, model=Dimension, field="name", what="dimension")
    if _dimension_name_taken(organization, name):
        raise ConflictError(f"{organization.name} already has a dimension named “{name}”.", field="name")
    taken = set(Dimension.objects.filter(organization=organization).values_list("key", flat=True))
    key = _clean_key(key, name=name, model=Dimension, taken=taken, what="dimension")
    top = Dimension.objects.filter(organization=organization).aggregate(top=Max("position"))["top"]
    dimension = Dimension(organization=organization, name=name, key=key, position=(top or 0) + 1)
    _save(dimension, conflict=f"{organization.name} already has a dimension named “{name}”.")
    audit_record(organization=organization, acting_user=acting_user, action=AuditAction.DIMENSION_CREATE,
                 target=dimension, after=dimension_snapshot(dimension))  # fmt: skip
    return dimension


@transaction.atomic
def dimension_update(*, dimension: Dimension, name: str, key: str, required: bool, acting_user) -> Dimension:
    """Rename a dimension, change its key, or make it required in the stepper (or not).

    A required dimension must have a value to choose from.
    """
    organization = dimension.organization
    check_may_manage_dimensions(organization, acting_user)
    name = _clean_name(name, model=Dimension, field="name", what="dimension")
    if _dimension_name_taken(organization, name, exclude=dimension.pk):
        raise ConflictError(f"{organization.name} already has a dimension named “{name}”.", field="name")
    taken = set(
        Dimension.objects.filter(organization=organization)
        .exclude(pk=dimension.pk)
        .values_list("key", flat=True)
    )
    key = _clean_key(key or dimension.key, name=name, model=Dimension, taken=taken, what="dimension")
    if required and not dimension.required and not dimension.values.exists():
        where = "create a team first" if dimension.follows_teams else "add a value first"
        raise InvalidError(
            f"{name} has no values yet, so no workspace could be given one: {where}.", field="required"
        )
    before = dimension_snapshot(dimension)
    if key != dimension.key:
        _naming_convention_follow_key(organization, dimension.key, key, acting_user)
    dimension.name, dimension.key, dimension.required = name, key, required
    _save(
        dimension,
        conflict=f"{organization.name} already has a dimension named “{name}”.",
        update_fields=["name", "key", "required"],
    )
    _audit_changes(organization, acting_user, AuditAction.DIMENSION_UPDATE, dimension, before,
                   dimension_snapshot(dimension))  # fmt: skip
    return dimension


def _audit_changes(organization, acting_user, action, target, before: dict, after: dict) -> None:
    changed = [k for k in after if after[k] != before.get(k)]
    if changed:
        audit_record(organization=organization, acting_user=acting_user, action=action, target=target,
                     before={k: before[k] for k in changed}, after={k: after[k] for k in changed})  # fmt: skip


def _move(siblings: list, item, direction: str) -> tuple[int, int] | None:
    """Move `item` one place up or down among `siblings` and number them all again; returns the
    1-based places before and after, or None when it is already at that end."""
    if direction not in MOVES:
        raise InvalidError("Move a dimension or a value up or down.", field="direction")
    index = next(i for i, sibling in enumerate(siblings) if sibling.pk == item.pk)
    target = index + MOVES[direction]
    if not 0 <= target < len(siblings):
        return None
    siblings.insert(target, siblings.pop(index))
    for position, sibling in enumerate(siblings):
        sibling.position = position
    type(item).objects.bulk_update(siblings, ["position"])
    item.position = target
    return index + 1, target + 1


@transaction.atomic
def dimension_move(*, dimension: Dimension, direction: str, acting_user) -> Dimension:
    """Move a dimension one place `"up"` or `"down"` in the organization's order (the order of the
    stepper, the workspace settings and the labels on each workspace). At either end it stays put."""
    organization = dimension.organization
    check_may_manage_dimensions(organization, acting_user)
    siblings = list(Dimension.objects.select_for_update().filter(organization=organization))
    if not any(sibling.pk == dimension.pk for sibling in siblings):
        raise NotFoundError(f"The dimension “{dimension.name}” was removed a moment ago.")
    places = _move(siblings, dimension, direction)
    if places:
        audit_record(organization=organization, acting_user=acting_user, action=AuditAction.DIMENSION_MOVE,
                     target=dimension, before={"position": places[0]}, after={"position": places[1]})  # fmt: skip
    return dimension


# --- Values ---------------------------------------------------------------------------------------


def _value_name_taken(dimension: Dimension, label: str, exclude=None) -> bool:
    return (
        DimensionValue.objects.filter(dimension=dimension, label__iexact=label).exclude(pk=exclude).exists()
    )


def _check_not_team_value_change(dimension: Dimension) -> None:
    if dimension.follows_teams:
        raise InvalidError(
            f"The values of {dimension.name} are the organization's teams: add, rename or remove them on "
            "the Teams page.",
            field="name",
        )


@transaction.atomic
def dimension_value_create(
    *, dimension: Dimension, label: str, key: str = "", color: str = "grey", acting_user
) -> DimensionValue:
    """Add a value at the end of a dimension's values. Not for the team dimension (its values are the
    teams)."""
    organization = dimension.organization
    check_may_manage_dimensions(organization, acting_user)
    _check_not_team_value_change(dimension)
    label = _clean_name(label, model=DimensionValue, field="label", what="value")
    _check_color(color)
    conflict = f"{dimension.name} already has a value named “{label}”."
    if _value_name_taken(dimension, label):
        raise ConflictError(conflict, field="name")
    taken = set(dimension.values.values_list("value", flat=True))
    key = _clean_key(key, name=label, model=DimensionValue, taken=taken, what=f"value of {dimension.name}")
    top = dimension.values.aggregate(top=Max("position"))["top"]
    value = DimensionValue(dimension=dimension, label=label, value=key, color=color, position=(top or 0) + 1)
    _save(value, conflict=conflict)
    audit_record(organization=organization, acting_user=acting_user, action=AuditAction.DIMENSION_VALUE_CREATE,
                 target=value, after={"dimension": dimension.name, **dimension_value_snapshot(value)})  # fmt: skip
    return value


@transaction.atomic
def dimension_value_update(
    *, value: DimensionValue, label: str, key: str, color: str, acting_user
) -> DimensionValue:
    """Rename a value, change its key or its colour. A team's value takes its name from the team: only
    its key and colour change here."""
    dimension = value.dimension
    organization = dimension.organization
    check_may_manage_dimensions(organization, acting_user)
    if dimension.follows_teams:
        if label.strip() and " ".join(label.split()) != value.label:
            _check_not_team_value_change(dimension)
        label = value.label
    label = _clean_name(label, model=DimensionValue, field="label", what="value")
    _check_color(color)
    conflict = f"{dimension.name} already has a value named “{label}”."
    if _value_name_taken(dimension, label, exclude=value.pk):
        raise ConflictError(conflict, field="name")
    taken = set(dimension.values.exclude(pk=value.pk).values_list("value", flat=True))
    key = _clean_key(key or value.value, name=label, model=DimensionValue, taken=taken,
                     what=f"value of {dimension.name}")  # fmt: skip
    before = dimension_value_snapshot(value)
    value.label, value.value, value.color = label, key, color
    _save(value, conflict=conflict, update_fields=["label", "value", "color"])
    _audit_changes(organization, acting_user, AuditAction.DIMENSION_VALUE_UPDATE, value, before,
                   dimension_value_snapshot(value))  # fmt: skip
    return value


@transaction.atomic
def dimension_value_move(*, value: DimensionValue, direction: str, acting_user) -> DimensionValue:
    """Move a value one place `"up"` or `"down"` among its dimension's values (the order of every
    choice of that dimension). At either end it stays put."""
    dimension = value.dimension
    check_may_manage_dimensions(dimension.organization, acting_user)
    siblings = list(DimensionValue.objects.select_for_update().filter(dimension=dimension))
    if not any(sibling.pk == value.pk for sibling in siblings):
        raise NotFoundError(f"The value “{value.label}” was removed a moment ago.")
    places = _move(siblings, value, direction)
    if places:
        audit_record(organization=dimension.organization, acting_user=acting_user,
                     action=AuditAction.DIMENSION_VALUE_MOVE, target=value,
                     before={"position": places[0]}, after={"position": places[1]})  # fmt: skip
    return value


# --- The team dimension follows the teams -----------------------------------------------------------


def _team_dimension(organization_id) -> Dimension | None:
    return Dimension.objects.filter(organization_id=organization_id, follows_teams=True).first()


def team_value_create(*, team: Team) -> DimensionValue | None:
    """Give a new team its value of the team dimension (if the organization has one). Called by
    `team_create`, inside its transaction; the team's own audit event covers it."""
    dimension = _team_dimension(team.organization_id)
    if dimension is None:
        return None
    values = list(dimension.values.all())
    key = _clean_key("", name=team.name, model=DimensionValue, taken={v.value for v in values}, what="team")
    colors = [c for c, _ in LABEL_COLORS if c != "grey"]
    return DimensionValue.objects.create(
        dimension=dimension,
        team=team,
        label=team.name,
        value=key,
        color=colors[len(values) % len(colors)],
        position=max((v.position for v in values), default=-1) + 1,
    )


def team_value_rename(*, team: Team) -> None:
    """A renamed team's value takes the team's new name (its key stays, so links and filters keep
    working). Called by `team_update`, inside its transaction."""
    DimensionValue.objects.filter(team=team).exclude(label=team.name).update(label=team.name)
