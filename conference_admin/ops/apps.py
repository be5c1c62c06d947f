from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "conference_admin.ops"
    label = "ops"
    verbose_name = "Operations (health, readiness, metrics)"

    def ready(self):
        from conference_admin.audit.signals import attempt_settled
        from conference_admin.dashboard.client import observe_twilio
        from conference_admin.live.signals import roster_reconciled, webhook_refused
        from conference_admin.push.signals import streams_changed

        from . import metrics, status, twilio_log

        # What the other apps tell, counted here (docs/OPERATIONS.md lists the metrics).
        observe_twilio(metrics.twilio_call)
        observe_twilio(twilio_log.twilio_call)  # one log line per call, with the request's id
        observe_twilio(status.twilio_call)  # whether Twilio answers, for the page's banner
        attempt_settled.connect(metrics.attempt_settled, dispatch_uid="ops-metrics-attempt-settled")
        webhook_refused.connect(metrics.webhook_refused, dispatch_uid="ops-metrics-webhook-refused")
        roster_reconciled.connect(metrics.roster_reconciled, dispatch_uid="ops-metrics-roster-reconciled")
        streams_changed.connect(metrics.streams_changed, dispatch_uid="ops-metrics-streams-changed")
