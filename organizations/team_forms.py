"""Forms of the Teams pages. Plain forms: the services validate and write, the forms only collect."""

from django import forms

from .models import Membership
from .roles import OrganizationRole


class TeamForm(forms.Form):
    """Name, description and (optionally) the organization role every member of the team receives."""

    name = forms.CharField(
        label="Name", max_length=100, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )
    description = forms.CharField(
        label="Description", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    role = forms.ChoiceField(
        label="Organization role",
        required=False,
        help_text="Optional. Every member of the team receives this role on top of their own.",
    )

    def __init__(self, *args, roles: list[OrganizationRole], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [("", "No organization role")] + [(r.key, r.label) for r in roles]

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("Give the team a name.")
        return name


class TeamMemberAddForm(forms.Form):
    """Pick a member of the organization who is not in the team yet."""

    user = forms.ChoiceField(label="Add a member")

    def __init__(self, *args, candidates: list[Membership], **kwargs):
        super().__init__(*args, **kwargs)
        self.candidates = {str(m.user_id): m.user for m in candidates}
        self.fields["user"].choices = [("", "Choose a member…")] + [
            (
                str(m.user_id),
                f"{m.user.display_name} ({m.user.email})" if m.user.display_name else m.user.email,
            )
            for m in candidates
        ]

    def clean_user(self):
        return self.candidates[self.cleaned_data["user"]]
