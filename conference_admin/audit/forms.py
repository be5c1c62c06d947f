from typing import Any

from django import forms

from conference_admin.requestvalues import MomentField, check_range

from .models import AuditRecord


class AuditFilterForm(forms.Form):
    user = forms.CharField(required=False, max_length=150, label="User")
    conference = forms.CharField(required=False, max_length=64, label="Conference SID")
    action = forms.CharField(required=False, max_length=64)
    outcome = forms.ChoiceField(required=False, choices=[("", "any"), *AuditRecord.Outcome.choices])
    since = MomentField(required=False, label="From", widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    until = MomentField(required=False, label="To", widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        check_range(self, cleaned)
        return cleaned

    def filter(self, records):
        """Narrow `records` by whatever valid filters were given."""
        if not self.is_valid():
            return records.none()
        data = self.cleaned_data
        if data["user"]:
            records = records.filter(actor_username__iexact=data["user"].strip())
        if data["conference"]:
            records = records.filter(conference_sid=data["conference"].strip())
        if data["action"]:
            records = records.filter(action=data["action"].strip())
        if data["outcome"]:
            records = records.filter(outcome=data["outcome"])
        if data["since"]:
            records = records.filter(created_at__gte=data["since"])
        if data["until"]:
            records = records.filter(created_at__lte=data["until"])
        return records
