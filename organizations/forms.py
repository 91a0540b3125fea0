from django import forms


class OrganizationCreateForm(forms.Form):
    name = forms.CharField(
        label="Organization name",
        max_length=100,
        widget=forms.TextInput(attrs={"autofocus": True}),
        help_text="You can change it later. Your organization's web address is derived from it.",
    )

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not any(ch.isalnum() for ch in name):
            raise forms.ValidationError("Use at least one letter or digit.")
        return name


class OrganizationSettingsForm(forms.Form):
    # A plain form (not a ModelForm) so validation never mutates the organization before the
    # service records what it was.
    name = forms.CharField(label="Organization name", max_length=100)
    description = forms.CharField(
        label="Description", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
