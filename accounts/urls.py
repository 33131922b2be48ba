from django.urls import path

from accounts import views

app_name = "accounts"
urlpatterns = [
    path("signup/", views.signup, name="signup"),
    path("signup/sent/", views.signup_sent, name="signup_sent"),
    path("signup/<str:token>/", views.signup_confirm, name="signup_confirm"),
    path("e-id/", views.eid_start, name="eid_start"),
    path("e-id/callback/", views.eid_callback, name="eid_callback"),
    path("staff/", views.staff_start, name="staff_start"),
    path("staff/callback/", views.staff_callback, name="staff_callback"),
]
