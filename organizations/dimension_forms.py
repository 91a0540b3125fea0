"""Forms of the Labels page (/orgs/<org>/settings/dimensions/). They only collect; the services in
`organizations.services.dimensions` and `governance.services.dimensions` validate and write, and their
refusals land on the field they name."""

from django import forms

from .dimensions import LABEL_COLORS

KEY_HELP = "Used in links and filters. Made from the name when left empty."


class DimensionForm(forms.Form):
    name = forms.CharField(label="Name", max_length=60, widget=forms.TextInput(attrs={"autocomplete": "off"}))
    key = forms.CharField(
        label="Key",
        max_length=40,
        required=False,
        help_text=KEY_HELP,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "class": "mono"}),
    )


class DimensionEditForm(DimensionForm):
    required = forms.BooleanField(
        label="Required in the stepper",
        required=False,
        help_text="Every new workspace must be given a value of it, and none can lose its value.",
    )


class DimensionValueForm(forms.Form):
    name = forms.CharField(
        label="Name", max_length=100, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )
    key = forms.CharField(
        label="Key",
        max_length=60,
        required=False,
        help_text=KEY_HELP,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "class": "mono"}),
    )
    color = forms.ChoiceField(label="Colour", choices=LABEL_COLORS, initial="grey")

    def __init__(self, *args, follows_teams: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if follows_teams:  # a team's value is named after its team
            self.fields["name"].disabled = True
            self.fields["name"].help_text = "The team's name: rename the team on the Teams page."


class DimensionValueRemoveForm(forms.Form):
    """What the workspaces holding a value get instead: another value of its dimension, or none (not
    for a required dimension). Nothing is preselected: the person chooses."""

    NONE = "none"

    replacement = forms.ChoiceField(label="Give these workspaces instead")

    def __init__(self, *args, value, others, required: bool, in_use: bool, **kwargs):
        super().__init__(*args, **kwargs)
        dimension = value.dimension
        choices = [("", "Choose…")]
        if not required:
            choices.append((self.NONE, f"No {dimension.name.lower()} value"))
        choices += [(str(other.pk), other.label) for other in others]
        field = self.fields["replacement"]
        field.choices, field.required = choices, in_use
        field.error_messages["required"] = (
            f"{dimension.name} is required: choose the value these workspaces get instead."
            if required
            else "Choose what these workspaces get instead: another value, or none."
        )
