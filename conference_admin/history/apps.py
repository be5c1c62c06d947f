from django.apps import AppConfig


class HistoryConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "conference_admin.history"
    label = "history"
    verbose_name = "Conference history"

    def ready(self) -> None:
        from conference_admin.live import signals as live

        from . import recorder

        # History is fed by what the live state announces; live never imports history.
        live.conference_seen.connect(recorder.on_conference_seen, dispatch_uid="history-conference-seen")
        live.participants_changed.connect(recorder.on_participants_changed, dispatch_uid="history-participants")
        live.identities_known.connect(recorder.on_identities_known, dispatch_uid="history-identities")
        live.recording_changed.connect(recorder.on_recording_changed, dispatch_uid="history-recording")
        live.callback_stored.connect(recorder.on_callback_stored, dispatch_uid="history-callback")
