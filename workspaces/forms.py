from django import forms

from .identifiers import MAX_LENGTH
from .roles import WORKSPACE_ROLES
from .selectors import workspace_id_check

ROLE_CHOICES = [(role.key, role.label) for role in WORKSPACE_ROLES.values()]


class WorkspaceDetailsForm(forms.Form):
    name = forms.CharField(
        label="Name",
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "off", "data-workspace-name": "", "autofocus": True}),
    )
    slug = forms.CharField(
        label="Workspace ID",
        max_length=MAX_LENGTH + 10,  # longer input reaches the check and gets its clear message
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "spellcheck": "false",
                "autocapitalize": "none",
                "data-workspace-id": "",
            }
        ),
        help_text="Lowercase letters, digits and single hyphens; 3–50 characters; starts with a letter.",
    )
    slug_edited = forms.BooleanField(
        required=False, widget=forms.HiddenInput(attrs={"data-workspace-id-edited": ""})
    )
    description = forms.CharField(
        label="Description", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def clean_slug(self):
        slug = self.cleaned_data["slug"].strip()
        check = workspace_id_check(slug)
        if not check.ok:
            raise forms.ValidationError(check.message, code=check.state)
        return slug


class WorkspaceOrganizeForm(forms.Form):
    """One choice per dimension of the organization (the stepper's Organize step, and the Labels of a
    workspace's settings). A required dimension with values to choose from must be given one."""

    def __init__(self, *args, dimensions, **kwargs):
        super().__init__(*args, **kwargs)
        self.dimensions = dimensions
        for dimension in dimensions:
            values = list(dimension.values.all())
            required = dimension.required and bool(values)
            empty = "Choose…" if required else "— None —"
            field = forms.ChoiceField(
                label=dimension.name,
                choices=[("", empty)] + [(v.value, v.label) for v in values],
                required=required,
                help_text="Required." if required else "",
            )
            field.error_messages["required"] = f"Choose a value of {dimension.name}: it is required."
            field.error_messages["invalid_choice"] = (
                f"That value of {dimension.name} no longer exists: choose another."
            )
            self.fields[f"label_{dimension.key}"] = field

    def labels(self) -> dict[str, str]:
        return {d.key: self.cleaned_data.get(f"label_{d.key}") or "" for d in self.dimensions}


class WorkspaceGrantForm(forms.Form):
    """Add a person or a team to a new workspace: `member` is "user:<id>" or "team:<id>"."""

    member = forms.ChoiceField(label="Person or team")
    role = forms.ChoiceField(label="Role", choices=ROLE_CHOICES, initial="developer")

    def __init__(self, *args, members, teams=(), custom_roles=(), grantable=None, **kwargs):
        """`grantable`: the role keys the chosen labels' policies allow (custom roles by base role);
        None allows every role. Roles outside it are not offered, so not accepted either."""
        super().__init__(*args, **kwargs)
        predefined = [(key, label) for key, label in ROLE_CHOICES if grantable is None or key in grantable]
        custom = [
            (f"custom:{role.pk}", role.name)
            for role in custom_roles
            if grantable is None or role.base_role in grantable
        ]
        self.fields["role"].choices = (
            [("Predefined roles", predefined), ("Custom roles", custom)] if custom else predefined
        )
        if predefined and "developer" not in dict(predefined):
            self.fields["role"].initial = predefined[-1][0]
        self.roles_offered = bool(predefined or custom)
        people = [
            (
                f"user:{m.user_id}",
                f"{m.user.display_name} ({m.user.email})" if m.user.display_name else m.user.email,
            )
            for m in members
        ]
        choices = [("", "Choose a member or a team…")]
        choices += [("People", people)] if people else []
        choices += [("Teams", [(f"team:{t.pk}", f"Team {t.name}") for t in teams])] if teams else []
        self.fields["member"].choices = choices

    @property
    def has_choices(self) -> bool:
        return len(self.fields["member"].choices) > 1 and self.roles_offered


class WorkspaceSettingsForm(forms.Form):
    display_name = forms.CharField(label="Name", max_length=100)
    description = forms.CharField(
        label="Description", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    readme = forms.CharField(
        label="README",
        required=False,
        max_length=50000,
        widget=forms.Textarea(attrs={"rows": 14, "class": "mono"}),
        help_text="Markdown. Shown on the workspace overview.",
    )


def chosen_label_values(dimensions, labels: dict[str, str]) -> list:
    """The DimensionValues that `labels` (dimension key -> value key) name, in dimension order."""
    chosen = []
    for dimension in dimensions:
        wanted = labels.get(dimension.key)
        chosen += [v for v in dimension.values.all() if v.value == wanted]
    return chosen
