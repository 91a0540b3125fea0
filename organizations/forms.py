from django import forms


class OrganizationCreateForm(forms.Form):
    name = forms.CharField(
        label="Organization name",
        max_length=100,
        widget=forms.TextInput(attrs={"autofocus": True}),
        help_text="You can change it later. Your organization's web address is derived from it.",
    )
    # Sent back once the person has been told they already belong to an organization of that name.
    same_name_confirmed = forms.CharField(required=False, max_length=100, widget=forms.HiddenInput)

    def __init__(self, *args, own_organizations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.own_organizations = list(own_organizations)
        self.same_name = None  # the user's organization whose name the new one repeats

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not any(ch.isalnum() for ch in name):
            raise forms.ValidationError("Use at least one letter or digit.")
        return name

    def clean(self):
        cleaned = super().clean()
        name = (cleaned.get("name") or "").casefold()
        self.same_name = next((o for o in self.own_organizations if o.name.casefold() == name), None)
        if self.same_name and (cleaned.get("same_name_confirmed") or "").strip().casefold() != name:
            raise forms.ValidationError(
                f"You already belong to an organization named “{self.same_name.name}”. Open it, or create "
                "a second one with the same name.",
                code="same_name",
            )
        return cleaned


class OrganizationSettingsForm(forms.Form):
    # A plain form (not a ModelForm) so validation never mutates the organization before the
    # service records what it was.
    name = forms.CharField(label="Organization name", max_length=100)
    description = forms.CharField(
        label="Description", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
