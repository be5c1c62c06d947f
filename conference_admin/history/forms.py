from django import forms

from conference_admin.requestvalues import DayField, check_range

from .selectors import SearchCriteria

DATE = forms.DateInput(attrs={"type": "date"})


class _Range(forms.Form):
    since = DayField(required=False, label="From", widget=DATE)
    until = DayField(required=False, label="To", widget=DATE)

    def clean(self):
        cleaned = super().clean() or {}
        check_range(self, cleaned)
        return cleaned


class HistoryPeriodForm(_Range):
    period = forms.ChoiceField(
        required=False,
        choices=[("", "All"), ("today", "Today"), ("week", "This week"), ("range", "Dates")],
        label="Ended",
    )
    field_order = ["period", "since", "until"]

    def period_kwargs(self) -> dict:
        if not self.is_valid():
            return {"period": "", "since": None, "until": None}
        data = self.cleaned_data
        period = data["period"] or ("range" if data["since"] or data["until"] else "")
        return {"period": period, "since": data["since"], "until": data["until"]}


class HistorySearchForm(_Range):
    participant = forms.CharField(required=False, max_length=128, label="Participant label or number")
    conference = forms.CharField(required=False, max_length=256, label="Conference name")
    supervisor = forms.CharField(required=False, max_length=150, label="Supervisor")
    field_order = ["participant", "conference", "supervisor", "since", "until"]

    def criteria(self) -> SearchCriteria | None:
        """The search asked for; None when the form is invalid or empty."""
        if not self.is_valid():
            return None
        data = self.cleaned_data
        criteria = SearchCriteria(
            participant=data["participant"].strip(),
            conference=data["conference"].strip(),
            supervisor=data["supervisor"].strip(),
            since=data["since"],
            until=data["until"],
        )
        return None if criteria.empty else criteria
