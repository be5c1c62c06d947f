"""Routes of the simulator's own WSGI app (never mounted in the dashboard's urlconf)."""

from django.urls import re_path

from . import transcription_views, views

ACCOUNT = r"^2010-04-01/Accounts/(?P<account_sid>[^/]+)"

urlpatterns = [
    re_path(
        ACCOUNT + r"/Conferences/(?P<conference_sid>[^/]+)/Participants/(?P<call_sid>.+)\.json$",
        views.participant_detail,
        name="participant-detail",
    ),
    re_path(
        ACCOUNT + r"/Conferences/(?P<conference_sid>.+?)/Participants\.json$",
        views.participant_list,
        name="participant-list",
    ),
    re_path(
        ACCOUNT + r"/Conferences/(?P<conference_sid>[^/]+)\.json$", views.conference_detail, name="conference-detail"
    ),
    re_path(ACCOUNT + r"/Conferences\.json$", views.conference_list, name="conference-list"),
    re_path(
        ACCOUNT + r"/Conferences/(?P<conference_sid>[^/]+)/Recordings/(?P<recording_sid>[^/]+)\.json$",
        views.conference_recording_detail,
        name="conference-recording-detail",
    ),
    re_path(
        ACCOUNT + r"/Conferences/(?P<conference_sid>[^/]+)/Recordings\.json$",
        views.conference_recording_list,
        name="conference-recording-list",
    ),
    re_path(
        ACCOUNT + r"/Calls/(?P<call_sid>[^/]+)/Recordings/(?P<recording_sid>[^/]+)\.json$",
        views.call_recording_detail,
        name="call-recording-detail",
    ),
    re_path(
        ACCOUNT + r"/Calls/(?P<call_sid>[^/]+)/Recordings\.json$",
        views.call_recording_list,
        name="call-recording-list",
    ),
    re_path(
        ACCOUNT + r"/Calls/(?P<call_sid>[^/]+)/Transcriptions/(?P<sid>[^/]+)\.json$",
        transcription_views.transcription_detail,
        name="transcription-detail",
    ),
    re_path(
        ACCOUNT + r"/Calls/(?P<call_sid>[^/]+)/Transcriptions\.json$",
        transcription_views.transcription_list,
        name="transcription-list",
    ),
    re_path(ACCOUNT + r"/Calls/(?P<call_sid>[^/]+)\.json$", views.call_detail, name="call-detail"),
    re_path(r"^_simulator/requests$", views.control_request_log, name="control-request-log"),
    re_path(r"^_simulator/requests/reset$", views.control_reset_request_log, name="control-reset-request-log"),
    re_path(r"^_simulator/clock/advance$", views.control_advance_clock, name="control-advance-clock"),
    re_path(r"^_simulator/reset$", views.control_reset, name="control-reset"),
    re_path(r"^_simulator/demo$", views.control_load_demo, name="control-load-demo"),
    re_path(r"^_simulator/hangup$", views.control_hang_up, name="control-hang-up"),
    re_path(r"^_simulator/faults$", views.control_faults, name="control-faults"),
    re_path(r"", views.unknown_path, name="unknown-path"),
]
