from django import forms

from organizations.roles import OrganizationRoleKey


class ServiceAccountCreateForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What will use it, e.g. “ci-staging”.")
    description = forms.CharField(required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    role = forms.ChoiceField(
        label="Organization role",
        choices=[c for c in OrganizationRoleKey.choices if c[0] != OrganizationRoleKey.OWNER],
        initial=OrganizationRoleKey.MEMBER,
        help_text="Give workspace roles and team places on the workspaces' Members pages and on Teams.",
    )


class ServiceAccountKeyCreateForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="Where the key is kept, e.g. “GitHub Actions”.")


class ServiceAccountKeyRotateForm(forms.Form):
    grace_hours = forms.IntegerField(
        label="Grace period (hours)",
        min_value=0,
        max_value=168,
        initial=24,
        help_text="How long the old key keeps working, so jobs can move to the new one.",
    )
