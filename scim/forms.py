from django import forms


class ScimTokenCreateForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="The identity provider that will use it, e.g. “Okta”.")
