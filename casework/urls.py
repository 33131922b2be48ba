from django.urls import path

from casework import views

app_name = "casework"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("take-next/", views.take_next, name="take_next"),
    path("workload/", views.workload, name="workload"),
    path("steps/<int:pk>/", views.case, name="case"),
    path("steps/<int:pk>/claim/", views.case_claim, name="claim"),
    path("steps/<int:pk>/release/", views.case_release, name="release"),
    path("steps/<int:pk>/decide/", views.case_decide, name="decide"),
    path(
        "steps/<int:pk>/request-information/",
        views.case_request_information,
        name="request_information",
    ),
    path("steps/<int:pk>/journal/", views.case_note, name="note"),
    path("steps/<int:pk>/delay/", views.case_delay, name="delay"),
    path("steps/<int:pk>/reassign/", views.case_reassign, name="reassign"),
    path("steps/<int:pk>/reopen/", views.case_reopen, name="reopen"),
    path("steps/<int:pk>/send-back/", views.case_send_back, name="send_back"),
    path("steps/<int:pk>/transfer/", views.case_transfer, name="transfer"),
    path(
        "steps/<int:pk>/representative/",
        views.case_representative_confirm,
        name="representative_confirm",
    ),
    path("steps/<int:pk>/consult/", views.case_consult, name="consult"),
    path("steps/<int:pk>/messages/", views.case_message, name="message"),
    path("steps/<int:pk>/secrecy/", views.case_secrecy_mark, name="secrecy_mark"),
    path("steps/<int:pk>/secrecy/remove/", views.case_secrecy_remove, name="secrecy_remove"),
    path("consultations/<int:pk>/", views.consultation, name="consultation"),
    path("consultations/<int:pk>/answer/", views.consultation_answer, name="consultation_answer"),
    path("steps/<int:pk>/documents/", views.case_document_add, name="document_add"),
    path(
        "steps/<int:pk>/documents/<int:document_pk>/",
        views.case_document,
        name="document",
    ),
]
