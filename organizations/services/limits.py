"""Length limits of text that people type, enforced by the services for every door."""

from ..errors import InvalidError


def check_lengths(model, **values: str) -> None:
    """Refuse any value longer than its model field's `max_length` (text fields declare one too)."""
    for field_name, value in values.items():
        field = model._meta.get_field(field_name)
        limit = field.max_length
        if limit is not None and value is not None and len(value) > limit:
            label = str(field.verbose_name).capitalize()
            raise InvalidError(
                f"{label} can be at most {limit:,} characters long (it has {len(value):,}).", field=field_name
            )
