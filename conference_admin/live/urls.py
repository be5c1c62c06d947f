from django.urls import re_path

from . import webhooks

# Both spellings, with and without the trailing slash, answer directly: Twilio drops
# the parameters when it follows a redirect.
urlpatterns = [
    re_path(r"^webhooks/twilio/conference-status/?$", webhooks.conference_status, name="webhook-conference-status"),
    re_path(r"^webhooks/twilio/call-status/?$", webhooks.call_status, name="webhook-call-status"),
]
