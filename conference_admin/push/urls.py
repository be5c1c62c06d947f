from django.urls import path

from conference_admin import converters  # noqa: F401  (registers <conference_sid:>)

from . import views

urlpatterns = [
    path("events/conferences/<conference_sid:conference_sid>/", views.conference_events, name="conference-events"),
]
