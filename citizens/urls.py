from django.urls import path

from citizens import views

app_name = "citizens"
urlpatterns = [
    path("accounts/signup/", views.signup, name="signup"),
    path("services/", views.service_list, name="services"),
    path("services/<slug:slug>/", views.service_start, name="service_start"),
    path("services/<slug:slug>/apply/", views.application_start, name="application_start"),
    path("applications/", views.application_list, name="applications"),
    path("applications/<uuid:public_id>/", views.application_track, name="application_track"),
    path(
        "applications/<uuid:public_id>/details/",
        views.application_details,
        name="application_details",
    ),
    path("applications/<uuid:public_id>/check/", views.application_check, name="application_check"),
    path(
        "applications/<uuid:public_id>/requests/<int:pk>/answer/",
        views.information_answer,
        name="information_answer",
    ),
    path(
        "applications/<uuid:public_id>/confirmation/",
        views.application_confirmation,
        name="application_confirmation",
    ),
]
