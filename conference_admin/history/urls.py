from django.urls import path

from conference_admin import converters  # noqa: F401  (registers <conference_sid:>)

from . import views

urlpatterns = [
    path("history/", views.history_list, name="history-list"),
    path("history/search/", views.history_search, name="history-search"),
    path("history/search/export.csv", views.history_search_export, name="history-search-export"),
    path("history/transcripts/", views.history_transcripts, name="history-transcripts"),
    path("history/transcripts/export.csv", views.history_transcripts_export, name="history-transcripts-export"),
    path("history/<conference_sid:conference_sid>/", views.history_report, name="history-report"),
    path(
        "history/<conference_sid:conference_sid>/export.csv",
        views.history_report_export,
        name="history-report-export",
    ),
]
