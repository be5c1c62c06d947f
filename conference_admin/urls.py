from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("conference_admin.access.urls")),
    path("", include("conference_admin.live.urls")),
    path("", include("conference_admin.audit.urls")),
    path("", include("conference_admin.supervision.urls")),
    path("", include("conference_admin.history.urls")),
    path("", include("conference_admin.push.urls")),
    path("", include("conference_admin.ops.urls")),
    path("", include("conference_admin.dashboard.urls")),
]

# A lost database connection answers 503 with a sentence, anything else the ordinary 500.
handler500 = "conference_admin.outage.server_error"
