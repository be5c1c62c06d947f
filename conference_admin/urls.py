from django.urls import include, path

urlpatterns = [
    path("", include("conference_admin.live.urls")),
    path("", include("conference_admin.audit.urls")),
    path("", include("conference_admin.dashboard.urls")),
]
