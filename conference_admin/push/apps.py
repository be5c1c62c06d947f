from django.apps import AppConfig


class PushConfig(AppConfig):
    name = "conference_admin.push"
    label = "push"
    verbose_name = "Live push"

    def ready(self) -> None:
        from conference_admin.live import signals as live

        from . import notifier

        # The roster store and the transcript lines announce their writes; the streams hear them.
        live.roster_written.connect(notifier.on_roster_written, dispatch_uid="push-roster-written")
        # On Redis, a roster write publishes its announcement in its own round trip.
        live.announce_in_write(notifier.announcement)
        live.transcript_written.connect(notifier.on_transcript_written, dispatch_uid="push-transcript-written")
