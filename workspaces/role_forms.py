"""Forms of the custom workspace roles pages (/orgs/<org>/settings/roles/)."""

from django import forms

from .roles import ACTION_KEYS, ACTIONS, RESOURCE_KEYS, RESOURCES, WORKSPACE_ROLES, cell

BASE_ROLE_CHOICES = [(role.key, role.label) for role in WORKSPACE_ROLES.values()]
CELL_CHOICES = [
    (cell(resource, action), cell(resource, action)) for resource in RESOURCE_KEYS for action in ACTION_KEYS
]
_TRUE_VALUES = {"on", "true", "1", "yes"}


class CustomRoleCreateForm(forms.Form):
    name = forms.CharField(
        label="Name",
        max_length=60,
        widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": "e.g. Data Scientist"}),
        error_messages={"required": "Give the role a name."},
    )
    description = forms.CharField(
        label="Description",
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "What people with this role do"}),
    )
    base_role = forms.ChoiceField(
        label="Start from",
        choices=BASE_ROLE_CHOICES,
        initial="developer",
        help_text="The new role starts with this role's permissions; adjust them on the next page.",
    )


class RoleCellForm(forms.Form):
    """One checkbox of the grid, toggled in place.

    `granted` may be sent explicitly ("on"/"true"/"1" or "off"/"false"/"0"). The grid's checkboxes
    post the whole grid (`cells`) instead, so without `granted` the cell is granted when it is ticked
    there.
    """

    resource = forms.ChoiceField(choices=RESOURCES)
    action = forms.ChoiceField(choices=ACTIONS)

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        explicit = self.data.get("granted")
        if explicit is not None:
            cleaned["granted"] = explicit.strip().lower() in _TRUE_VALUES
        else:
            code = cell(cleaned["resource"], cleaned["action"])
            cleaned["granted"] = code in self.data.getlist("cells")
        return cleaned


class RoleGridForm(forms.Form):
    """The whole grid, posted by the Save button when JavaScript is off."""

    cells = forms.MultipleChoiceField(choices=CELL_CHOICES, required=False)

    def changes(self, current: frozenset[str]) -> list[tuple[str, str, bool]]:
        """(resource, action, granted) for every cell whose posted state differs from `current`."""
        wanted = set(self.cleaned_data["cells"])
        return [
            (resource, action, cell(resource, action) in wanted)
            for resource in RESOURCE_KEYS
            for action in ACTION_KEYS
            if (cell(resource, action) in wanted) != (cell(resource, action) in current)
        ]
