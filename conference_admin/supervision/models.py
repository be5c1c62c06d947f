"""A supervisor's own line: where the dashboard dials them when they listen in."""

from django.conf import settings
from django.db import models


class SupervisorProfile(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="supervisor_profile")
    # +E.164 phone number or a Twilio Client identity (client:name); validated by ProfileForm.
    phone = models.CharField("Phone or client identity", max_length=128)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.user.get_username()}: {self.phone}"
