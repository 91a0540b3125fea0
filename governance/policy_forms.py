"""The form of a label value's policies (/orgs/<org>/settings/dimensions/values/<id>/policy/). It only
collects; `governance.services.dimension_value_policy_update` validates and writes."""

from django import forms

from workspaces.roles import WORKSPACE_ROLES


class DimensionValuePolicyForm(forms.Form):
    protected = forms.BooleanField(
        label="Protected",
        required=False,
        help_text="Only the workspace's Admins and organization Admins grant roles there; organization "
        "Managers and Viewers see it only with a role on it; deleting it needs an Admin.",
    )
    review_cadence_days = forms.IntegerField(
        label="Access-review cadence (days)",
        required=False,
        min_value=1,
        max_value=3650,
        help_text="Workspaces holding it are reviewed at least this often. Empty: the organization's default.",
    )
    grantable_roles = forms.MultipleChoiceField(
        label="Workspace roles that may be granted",
        required=False,
        choices=[(role.key, role.label) for role in WORKSPACE_ROLES.values()],
        widget=forms.CheckboxSelectMultiple,
        help_text="Custom roles count as their base role. None ticked: every role.",
    )
