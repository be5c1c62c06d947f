"""What a supervisor types for their own line and picks for a whisper."""

from __future__ import annotations

from django import forms

from conference_admin.dashboard.forms import CLIENT_RE, E164_RE
from conference_admin.sids import CALL_SID

from .models import SupervisorProfile
from .services import BULK_TITLES


class ProfileForm(forms.ModelForm):
    class Meta:
        model = SupervisorProfile
        fields = ["phone"]
        help_texts = {"phone": "Where the dashboard calls you to listen in: +E.164 (+14155550100) or client:name."}
        widgets = {
            "phone": forms.TextInput(
                attrs={"autocomplete": "tel", "spellcheck": "false", "placeholder": "+14155550100"}
            )
        }

    def clean_phone(self) -> str:
        value = self.cleaned_data["phone"].strip()
        if not (E164_RE.match(value) or CLIENT_RE.match(value)):
            raise forms.ValidationError(
                "Enter a phone number in E.164 form (+14155550100) or a Twilio Client identity (client:name)."
            )
        return value


class WhisperForm(forms.Form):
    call_sid_to_coach = forms.CharField(error_messages={"required": "Choose whom to whisper to."})

    def clean_call_sid_to_coach(self) -> str:
        value = self.cleaned_data["call_sid_to_coach"].strip()
        if not CALL_SID.match(value):
            raise forms.ValidationError("Pick a participant (a call SID: CA followed by 32 hex digits).")
        return value


class BulkForm(forms.Form):
    action = forms.ChoiceField(choices=list(BULK_TITLES.items()), error_messages={"required": "Choose a bulk action."})
