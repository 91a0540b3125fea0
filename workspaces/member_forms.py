"""Forms of a workspace's Members pages: give a person or a team a role, or change it.

Roles come as `RoleOption`s (predefined and the organization's custom roles) already limited to the
ones the acting user may give; `cleaned_data["role"]` is the chosen `RoleOption`.
"""

from django import forms

from .selectors import RoleOption


def _until_field() -> forms.DateField:
    return forms.DateField(
        label="Until",
        required=False,
        help_text="Optional: the last day of the role. It then ends by itself.",
        widget=forms.DateInput(attrs={"type": "date"}),
    )


def _role_choices(options: list[RoleOption]) -> list:
    predefined = [(o.value, o.label) for o in options if not o.is_custom]
    custom = [(o.value, o.label) for o in options if o.is_custom]
    return predefined + ([("Custom roles", custom)] if custom else [])


class _RoleFormMixin:
    def offer_roles(self, options: list[RoleOption]) -> None:
        """Set the role choices (a bound form keeps its data, so what was chosen stays chosen)."""
        self.role_options = {o.value: o for o in options}
        self.fields["role"].choices = _role_choices(options)

    def clean_role(self) -> RoleOption:
        return self.role_options[self.cleaned_data["role"]]


class WorkspaceRoleChangeForm(_RoleFormMixin, forms.Form):
    role = forms.ChoiceField(label="Role")
    expires_on = _until_field()

    def __init__(self, *args, roles: list[RoleOption], **kwargs):
        super().__init__(*args, **kwargs)
        self.offer_roles(roles)


class WorkspaceMemberAddForm(_RoleFormMixin, forms.Form):
    """Add people: a member of the organization without a direct role here, and a role."""

    user = forms.ChoiceField(label="Person")
    role = forms.ChoiceField(label="Role")
    expires_on = _until_field()

    def __init__(self, *args, candidates, roles: list[RoleOption], **kwargs):
        kwargs.setdefault("initial", {"role": "developer"})
        kwargs.setdefault("prefix", "person")
        super().__init__(*args, **kwargs)
        self.candidates = {str(m.user_id): m.user for m in candidates}
        self.fields["user"].choices = [("", "Choose a member…")] + [
            (
                str(m.user_id),
                f"{m.user.display_name} ({m.user.email})" if m.user.display_name else m.user.email,
            )
            for m in candidates
        ]
        self.offer_roles(roles)

    def clean_user(self):
        return self.candidates[self.cleaned_data["user"]]


class WorkspaceTeamAddForm(_RoleFormMixin, forms.Form):
    """Add a team: a team of the organization without a role here, and a role."""

    team = forms.ChoiceField(label="Team")
    role = forms.ChoiceField(label="Role")
    expires_on = _until_field()

    def __init__(self, *args, candidates, roles: list[RoleOption], **kwargs):
        kwargs.setdefault("initial", {"role": "developer"})
        kwargs.setdefault("prefix", "team")
        super().__init__(*args, **kwargs)
        self.candidates = {str(t.pk): t for t in candidates}
        self.fields["team"].choices = [("", "Choose a team…")] + [(str(t.pk), t.name) for t in candidates]
        self.offer_roles(roles)

    def clean_team(self):
        return self.candidates[self.cleaned_data["team"]]


class WorkspaceInviteForm(_RoleFormMixin, forms.Form):
    """Invite someone new into this workspace: an e-mail address and a workspace role."""

    email = forms.EmailField(label="E-mail", max_length=254)
    role = forms.ChoiceField(label="Role")

    def __init__(self, *args, roles: list[RoleOption], **kwargs):
        kwargs.setdefault("initial", {"role": "developer"})
        kwargs.setdefault("prefix", "invite")
        super().__init__(*args, **kwargs)
        self.fields["email"].widget.attrs.update(autocomplete="off", placeholder="name@example.com")
        self.offer_roles(roles)
