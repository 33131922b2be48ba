from django.urls import path

from coordination import views

app_name = "coordination"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("insight/", views.insight, name="insight"),
    path("journeys/<uuid:public_id>/", views.journey_detail, name="journey"),
    path("journeys/<uuid:public_id>/escalate/", views.journey_escalate, name="escalate"),
    path("journeys/<uuid:public_id>/remind/", views.journey_remind, name="remind"),
    path("journeys/<uuid:public_id>/contact/", views.journey_contact_assign, name="contact"),
    path("journeys/<uuid:public_id>/retention/", views.journey_retention, name="retention"),
    path("journeys/<uuid:public_id>/legal-hold/", views.journey_legal_hold, name="legal_hold"),
    path("disposals/", views.disposals, name="disposals"),
    path("bottlenecks/", views.bottlenecks, name="bottlenecks"),
    path("access-log/", views.access_log, name="access_log"),
    path("handoffs/<int:pk>/republish/", views.handoff_republish, name="republish"),
    path("webhooks/", views.webhook_deliveries, name="webhook_deliveries"),
    path(
        "webhooks/deliveries/<int:pk>/send-again/",
        views.webhook_send_again,
        name="webhook_send_again",
    ),
    path(
        "webhooks/subscriptions/<uuid:public_id>/resume/",
        views.webhook_resume,
        name="webhook_resume",
    ),
]
