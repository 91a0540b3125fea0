"""The audit log's filter form: every filter lives in the URL's query string."""

from django import forms


class AuditFilterForm(forms.Form):
    """Filters of /orgs/<org>/settings/audit/. An invalid filter is reported and left out, never fatal."""

    actor = forms.CharField(
        label="Actor",
        max_length=254,
        required=False,
        widget=forms.TextInput(
            attrs={"type": "search", "list": "audit-actors", "placeholder": "E-mail", "autocomplete": "off"}
        ),
    )
    action = forms.ChoiceField(label="Action", required=False)
    target = forms.CharField(
        label="Target",
        max_length=200,
        required=False,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": "Name contains", "autocomplete": "off"}
        ),
    )
    date_from = forms.DateField(label="From", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label="To", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, actions: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [("", "All actions")] + [(a, a) for a in actions]
        self.fields["action"].error_messages["invalid_choice"] = "No event has the action “%(value)s”."
        for name in ("date_from", "date_to"):
            self.fields[name].error_messages["invalid"] = "Enter a date as YYYY-MM-DD."

    def clean(self):
        cleaned = super().clean()
        date_from, date_to = cleaned.get("date_from"), cleaned.get("date_to")
        if date_from and date_to and date_from > date_to:
            raise forms.ValidationError("“From” is after “To”: no event can match. Swap the dates.")
        return cleaned

    def filters(self) -> dict:
        """The filters that are valid, ready for `audit_event_list` (invalid ones are left out)."""
        if not self.is_bound:
            return {}
        self.is_valid()
        valid = {k: v for k, v in getattr(self, "cleaned_data", {}).items() if v not in (None, "")}
        if self.non_field_errors():
            valid.pop("date_from", None)
            valid.pop("date_to", None)
        return valid

    def error_list(self) -> list[str]:
        """Every error as one sentence naming its field, for the alert above the table."""
        errors = []
        for name, field_errors in self.errors.items():
            label = self.fields[name].label if name in self.fields else ""
            errors += [f"{label}: {error}" if label else error for error in field_errors]
        return errors
