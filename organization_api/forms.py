from datetime import UTC, datetime, time, timedelta

from django import forms
from django.utils import timezone

EXPIRY_CHOICES = [("7", "7 days"), ("30", "30 days"), ("60", "60 days"), ("90", "90 days"),
                  ("365", "1 year"), ("custom", "On a date…")]  # fmt: skip


class TokenCreateForm(forms.Form):
    """Name and expiry of a new personal access token (the expiry is required: no token lives forever)."""

    name = forms.CharField(
        max_length=100, help_text="What will use it, e.g. “CI: staging deploys”. Only you see it."
    )
    expires_in = forms.ChoiceField(label="Expires in", choices=EXPIRY_CHOICES, initial="30")
    expires_on = forms.DateField(
        label="Expiry date",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="With “On a date…”: the token stops working at the start of that day (UTC).",
    )

    def clean(self):
        data = super().clean()
        choice = data.get("expires_in")
        if choice == "custom":
            if not data.get("expires_on"):
                self.add_error("expires_on", "Choose the date the token expires.")
            else:
                data["expires_at"] = datetime.combine(data["expires_on"], time.min, tzinfo=UTC)
        elif choice:
            data["expires_at"] = timezone.now() + timedelta(days=int(choice))
        return data
