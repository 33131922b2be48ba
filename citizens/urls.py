from django.urls import path

from citizens import amending, conversations, erasure, own_data, views, withdrawing

app_name = "citizens"
application = "applications/<uuid:public_id>"
urlpatterns = [
    path("services/", views.service_list, name="services"),
    path("services/<slug:slug>/", views.service_start, name="service_start"),
    path("services/<slug:slug>/apply/", views.application_start, name="application_start"),
    path("applications/", views.application_list, name="applications"),
    path("messages/", views.message_list, name="messages"),
    path("your-data/", own_data.own_data, name="own_data"),
    path("your-data/download/", own_data.own_data_download, name="own_data_download"),
    path("erasure/", erasure.erasure, name="erasure"),
    path(f"{application}/", views.application_track, name="application_track"),
    path(f"{application}/continue/", views.application_resume, name="application_resume"),
    path(f"{application}/applicant/", views.application_applicant, name="application_applicant"),
    path(
        f"{application}/organisation/",
        views.application_organisation,
        name="application_organisation",
    ),
    path(
        f"{application}/questions/<slug:key>/",
        views.application_question,
        name="application_question",
    ),
    path(f"{application}/check/", views.application_check, name="application_check"),
    path(
        f"{application}/confirmation/",
        views.application_confirmation,
        name="application_confirmation",
    ),
    path(
        f"{application}/requests/<int:pk>/answer/",
        views.information_answer,
        name="information_answer",
    ),
    path(f"{application}/answers/<slug:key>/change/", amending.answer_change, name="answer_change"),
    path(
        f"{application}/withdraw/",
        withdrawing.application_withdraw,
        name="application_withdraw",
    ),
    path(
        f"{application}/steps/<int:pk>/messages/",
        conversations.conversation,
        name="conversation",
    ),
    path(f"{application}/documents/<int:pk>/", views.document_download, name="document"),
    path(f"{application}/receipt/", views.receipt_download, name="receipt"),
    path(
        f"{application}/steps/<int:pk>/letter/",
        views.decision_letter_download,
        name="decision_letter",
    ),
    path(
        f"{application}/steps/<int:pk>/request-decision/",
        views.decision_request,
        name="decision_request",
    ),
    path("organisations/<uuid:public_id>/", views.organisation, name="organisation"),
    path(
        "organisations/<uuid:public_id>/representatives/",
        views.representative_invite,
        name="representative_invite",
    ),
]
