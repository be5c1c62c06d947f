from django.urls import path

from conference_admin.dashboard import converters  # noqa: F401  (registers <conference_sid:>, <call_sid:>)

from . import views

urlpatterns = [
    path("supervision/profile/", views.profile, name="supervision-profile"),
    path("conferences/<conference_sid:conference_sid>/supervision/", views.panel, name="supervision-panel"),
    path("conferences/<conference_sid:conference_sid>/supervision/line/dial/", views.line_dial, name="supervision-line-dial"),
    path("conferences/<conference_sid:conference_sid>/supervision/line/<slug:mode>/", views.line_action, name="supervision-line"),
    path("conferences/<conference_sid:conference_sid>/supervision/bulk/<slug:name>/", views.bulk, name="supervision-bulk"),
    path(
        "conferences/<conference_sid:conference_sid>/supervision/participants/<call_sid:call_sid>/safe-hold/",
        views.safe_hold,
        name="supervision-safe-hold",
    ),
]
