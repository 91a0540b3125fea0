from django import forms

ENFORCEMENT_CHOICES = [
    ("advisory", "Advisory: the stepper explains a mismatch and suggests an ID, creation goes ahead"),
    ("enforced", "Enforced: an ID that breaks it is refused, in the stepper, the API and automation alike"),
]


class NamingConventionForm(forms.Form):
    """The Naming settings page. A plain form: the service checks the convention against the
    organization's dimensions and says what is wrong on the "convention" field."""

    convention = forms.CharField(
        label="Convention",
        required=False,
        max_length=200,
        widget=forms.TextInput(
            attrs={
                "class": "mono",
                "placeholder": "{team}-{environment}-{name}",
                "autocomplete": "off",
                "spellcheck": "false",
                "autocapitalize": "none",
            }
        ),
        help_text="Text, {dimension key} placeholders, {name} for the part people choose, * for anything. "
        "Leave empty for no convention.",
    )
    description = forms.CharField(
        label="Description",
        required=False,
        max_length=200,
        widget=forms.TextInput(
            attrs={"placeholder": "Team, then environment, then what the workspace is for"}
        ),
        help_text="Shown in the New Workspace stepper beside the convention.",
    )
    enforcement = forms.ChoiceField(
        label="When an ID breaks it",
        choices=ENFORCEMENT_CHOICES,
        widget=forms.RadioSelect,
        initial="advisory",
    )

    @property
    def enforced(self) -> bool:
        return self.cleaned_data.get("enforcement") == "enforced"
