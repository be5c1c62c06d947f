from collections.abc import Callable

from django.contrib.auth import views as auth_views
from django.http import HttpResponse
from django.urls import URLPattern, path

from conference_admin import converters  # noqa: F401  (registers <conference_sid:>, <call_sid:>)
from conference_admin.access import login

from . import pickers, recording_views, transcript_views, views

CONFERENCE = "conferences/<conference_sid:conference_sid>/"
PARTICIPANT = f"{CONFERENCE}participants/<call_sid:call_sid>/"


def _verbs(route: str, view: Callable[..., HttpResponse], name: str, verbs: tuple[str, ...]) -> list[URLPattern]:
    """One URL per verb for a view that takes the verb: `<route><verb>/`, named `<name>-<verb>`."""
    return [path(f"{route}{verb}/", view, {"verb": verb}, name=f"{name}-{verb}") for verb in verbs]


urlpatterns = [
    path("login/", login.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", views.conference_list, name="conference-list"),
    path(CONFERENCE, views.conference_detail, name="conference-detail"),
    path(
        f"{CONFERENCE}participants/",
        views.participant_table,
        name="participant-table",
    ),
    path(
        f"{CONFERENCE}participants/add/",
        views.participant_add,
        name="participant-add",
    ),
    path(
        f"{CONFERENCE}participants/pages/",
        pickers.participant_pages,
        name="participant-pages",
    ),
    path(
        PARTICIPANT,
        pickers.participant,
        name="participant",
    ),
    path(f"{CONFERENCE}announce/", views.conference_announce, name="conference-announce"),
    path(f"{CONFERENCE}end/", views.conference_end, name="conference-end"),
    path(
        f"{CONFERENCE}recording/",
        recording_views.conference_recording,
        name="conference-recording",
    ),
    *_verbs(
        f"{CONFERENCE}recording/",
        recording_views.conference_recording_action,
        "conference-recording",
        ("pause", "resume", "stop"),
    ),
    *_verbs(
        f"{PARTICIPANT}recording/",
        recording_views.participant_recording_action,
        "participant-recording",
        ("start", "pause", "resume", "stop"),
    ),
    path(
        f"{CONFERENCE}transcript/",
        transcript_views.conference_transcript,
        name="conference-transcript",
    ),
    *_verbs(
        f"{CONFERENCE}transcript/",
        transcript_views.conference_transcript_action,
        "conference-transcript",
        ("start", "stop"),
    ),
    *_verbs(
        f"{PARTICIPANT}transcript/",
        transcript_views.participant_transcript_action,
        "participant-transcript",
        ("start", "stop"),
    ),
]
