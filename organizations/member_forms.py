"""Forms of the Members and Invitations pages and of the invitation sign-up.

They only parse what was typed: the rules (who may grant what, one pending invitation per address)
live in the services, whose ValidationErrors the views put back on these forms.
"""

from django import forms

from accounts.forms import SignupForm

from .roles import OrganizationRole


def _role_choices(roles: list[OrganizationRole]) -> list[tuple[str, str]]:
    return [(role.key, role.label) for role in roles]


def _lowest(roles: list[OrganizationRole]) -> str:
    return min(roles, key=lambda role: role.rank).key if roles else ""


class InvitationForm(forms.Form):
    """One invitation: an e-mail address, an organization role and optionally a workspace role."""

    email = forms.EmailField(
        label="Email",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "off", "placeholder": "name@example.com"}),
    )
    role = forms.ChoiceField(label="Role")
    workspace = forms.ChoiceField(label="Workspace", required=False)
    workspace_role = forms.ChoiceField(label="Workspace role", required=False)

    def __init__(self, *args, roles: list[OrganizationRole], workspaces=(), workspace_roles=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = _role_choices(roles)
        self.fields["role"].initial = _lowest(roles)
        self.fields["workspace"].choices = [("", "No workspace")] + [
            (str(workspace.pk), f"{workspace.display_name} ({workspace.slug})") for workspace in workspaces
        ]
        # Predefined roles by key, then the organization's custom roles as "custom:<id>" (grouped).
        predefined = [
            (role.key, role.label) for role in workspace_roles if not role.key.startswith("custom:")
        ]
        custom = [(role.key, role.label) for role in workspace_roles if role.key.startswith("custom:")]
        self.fields["workspace_role"].choices = (
            [("", "No role")] + predefined + ([("Custom roles", custom)] if custom else [])
        )

    @property
    def offers_workspaces(self) -> bool:
        return len(self.fields["workspace"].choices) > 1

    def clean(self):
        cleaned = super().clean()
        workspace, role = cleaned.get("workspace"), cleaned.get("workspace_role")
        if workspace and not role:
            self.add_error("workspace_role", "Choose the role to give on this workspace.")
        elif role and not workspace:
            self.add_error("workspace", "Choose the workspace for this role, or set the role to “No role”.")
        return cleaned

    def workspace_grants(self) -> list[dict]:
        """The invitation's workspace roles, in the shape `invitation_create` stores."""
        workspace, role = self.cleaned_data.get("workspace"), self.cleaned_data.get("workspace_role")
        if not (workspace and role):
            return []
        if role.startswith("custom:"):
            return [{"workspace": workspace, "custom_role": int(role.removeprefix("custom:"))}]
        return [{"workspace": workspace, "role": role}]


class BulkInvitationForm(forms.Form):
    """Many invitations with one role: addresses one per line (commas and semicolons also separate)."""

    emails = forms.CharField(
        label="Email addresses",
        max_length=200_000,  # 500 addresses of a generous length, with names
        widget=forms.Textarea(attrs={"rows": 5, "placeholder": "ada@example.com\ngrace@example.com"}),
        help_text="One per line (or separated by commas); “Ada Lovelace <ada@example.com>” works too.",
    )
    role = forms.ChoiceField(label="Role for everyone")

    def __init__(self, *args, roles: list[OrganizationRole], **kwargs):
        kwargs.setdefault("prefix", "bulk")  # the page also holds the single invitation's "role"
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = _role_choices(roles)
        self.fields["role"].initial = _lowest(roles)

    def describe_lines_to_fix(self, errors_id: str) -> None:
        """Point the address box at the list of lines that need fixing (for screen readers)."""
        self.fields["emails"].widget.attrs.update({"aria-invalid": "true", "aria-describedby": errors_id})


class InvitationSignupForm(SignupForm):
    """Sign-up from an invitation: the e-mail is the invitation's, whatever was posted."""

    field_order = ["email", "password", "display_name"]

    def __init__(self, data=None, *args, invitation, **kwargs):
        if data is not None:
            data = data.copy()
            data["email"] = invitation.email  # the address is bound to the invitation, never typed
        super().__init__(data, *args, initial={"email": invitation.email}, **kwargs)
        email = self.fields["email"]
        email.widget.attrs.pop("autofocus", None)
        email.widget.attrs["readonly"] = True
        email.help_text = "The invitation was sent to this address; your account uses it to log in."
        self.fields["password"].widget.attrs["autofocus"] = True
        self.fields["display_name"].label = "Your name (optional)"
