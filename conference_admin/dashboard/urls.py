from django.contrib.auth import views as auth_views
from django.urls import path

from conference_admin import converters  # noqa: F401  (registers <conference_sid:>, <call_sid:>)
from conference_admin.access import login

from . import pickers, recording_views, transcript_views, views

urlpatterns = [
    path("login/", login.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", views.conference_list, name="conference-list"),
    path("conferences/<conference_sid:conference_sid>/", views.conference_detail, name="conference-detail"),
    path(
        "conferences/<conference_sid:conference_sid>/participants/",
        views.participant_table,
        name="participant-table",
    ),
    path(
        "conferences/<conference_sid:conference_sid>/participants/add/",
        views.participant_add,
        name="participant-add",
    ),
    path(
        "conferences/<conference_sid:conference_sid>/participants/pages/",
        pickers.participant_pages,
        name="participant-pages",
    ),
    path(
        "conferences/<conference_sid:conference_sid>/participants/<call_sid:call_sid>/",
        pickers.participant,
        name="participant",
    ),
    path(
        "conferences/<conference_sid:conference_sid>/announce/", views.conference_announce, name="conference-announce"
    ),
    path("conferences/<conference_sid:conference_sid>/end/", views.conference_end, name="conference-end"),
    path(
        "conferences/<conference_sid:conference_sid>/recording/",
        recording_views.conference_recording,
        name="conference-recording",
    ),
    *(
        path(
            f"conferences/<conference_sid:conference_sid>/recording/{verb}/",
            recording_views.conference_recording_action,
            {"verb": verb},
            name=f"conference-recording-{verb}",
        )
        for verb in ("pause", "resume", "stop")
    ),
    *(
        path(
            f"conferences/<conference_sid:conference_sid>/participants/<call_sid:call_sid>/recording/{verb}/",
            recording_views.participant_recording_action,
            {"verb": verb},
            name=f"participant-recording-{verb}",
        )
        for verb in ("start", "pause", "resume", "stop")
    ),
    path(
        "conferences/<conference_sid:conference_sid>/transcript/",
        transcript_views.conference_transcript,
        name="conference-transcript",
    ),
    *(
        path(
            f"conferences/<conference_sid:conference_sid>/transcript/{verb}/",
            transcript_views.conference_transcript_action,
            {"verb": verb},
            name=f"conference-transcript-{verb}",
        )
        for verb in ("start", "stop")
    ),
    *(
        path(
            f"conferences/<conference_sid:conference_sid>/participants/<call_sid:call_sid>/transcript/{verb}/",
            transcript_views.participant_transcript_action,
            {"verb": verb},
            name=f"participant-transcript-{verb}",
        )
        for verb in ("start", "stop")
    ),
]
