from django.urls import path

from conference_admin import converters  # noqa: F401  (registers <conference_sid:>, <call_sid:>)

from . import views

LINE = "conferences/<conference_sid:conference_sid>/supervision/line"

urlpatterns = [
    path("supervision/profile/", views.profile, name="supervision-profile"),
    path("conferences/<conference_sid:conference_sid>/supervision/", views.panel, name="supervision-panel"),
    path(f"{LINE}/dial/", views.line_dial, name="supervision-line-dial"),
    path(f"{LINE}/listen/", views.line_listen, name="supervision-line-listen"),
    path(f"{LINE}/whisper/", views.line_whisper, name="supervision-line-whisper"),
    path(f"{LINE}/barge/", views.line_barge, name="supervision-line-barge"),
    path(f"{LINE}/leave/", views.line_leave, name="supervision-line-leave"),
    path("conferences/<conference_sid:conference_sid>/supervision/bulk/", views.bulk, name="supervision-bulk"),
    path(
        "conferences/<conference_sid:conference_sid>/supervision/participants/<call_sid:call_sid>/safe-hold/",
        views.safe_hold,
        name="supervision-safe-hold",
    ),
]
