from django.contrib import admin
from django.urls import include, path

from accounts.views import SignInView, sign_out
from portal import metrics, views

urlpatterns = [
    path("", views.home, name="home"),
    path("accessibility/", views.accessibility, name="accessibility"),
    path("privacy/", views.privacy, name="privacy"),
    path("contact/", views.contact, name="contact"),
    path("healthz/", views.health, name="health"),
    path("metrics", metrics.metrics, name="metrics"),
    path("accounts/login/", SignInView.as_view(), name="login"),
    path("accounts/logout/", sign_out, name="logout"),
    path("accounts/", include("accounts.urls")),
    path("i18n/setlang/", views.language_set, name="set_language"),
    path("work/", include("casework.urls")),
    path("coordination/", include("coordination.urls")),
    path("payments/", include("payments.urls")),
    path("records/", include("records.urls")),
    path("", include("citizens.urls")),
    path("api/", include("api.urls")),
    path("admin/", admin.site.urls),
]
