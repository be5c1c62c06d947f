"""What live push tells other apps (the ops app's metrics listen, registered in its
AppConfig.ready): `streams_changed` with `open_streams`, this process's open event streams,
whenever a stream opens or closes."""

from django.dispatch import Signal

streams_changed = Signal()
