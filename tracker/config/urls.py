from django.contrib import admin
from django.urls import include, path

from tracker.web import health

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz/", health.healthz, name="healthz"),
    path("", include("tracker.web.urls")),
]

# A page with the site's navigation; JSON under /api/.
handler404 = "tracker.web.errors.not_found"
