from django.urls import path

from journeys.views import casework, coordination

casework_patterns = (
    [
        path("", casework.queue, name="queue"),
        path("take-next/", casework.take_next, name="take_next"),
        path("workload/", casework.workload, name="workload"),
        path("steps/<int:pk>/", casework.case, name="case"),
        path("steps/<int:pk>/claim/", casework.case_claim, name="claim"),
        path("steps/<int:pk>/release/", casework.case_release, name="release"),
        path("steps/<int:pk>/decide/", casework.case_decide, name="decide"),
        path(
            "steps/<int:pk>/request-information/",
            casework.case_request_information,
            name="request_information",
        ),
        path("steps/<int:pk>/journal/", casework.case_note, name="note"),
        path("steps/<int:pk>/delay/", casework.case_delay, name="delay"),
        path("steps/<int:pk>/reassign/", casework.case_reassign, name="reassign"),
        path(
            "steps/<int:pk>/documents/<int:document_pk>/",
            casework.case_document,
            name="document",
        ),
    ],
    "casework",
)

coordination_patterns = (
    [
        path("", coordination.dashboard, name="dashboard"),
        path("insight/", coordination.insight, name="insight"),
        path("journeys/<uuid:public_id>/", coordination.journey_detail, name="journey"),
        path("journeys/<uuid:public_id>/escalate/", coordination.journey_escalate, name="escalate"),
        path("journeys/<uuid:public_id>/remind/", coordination.journey_remind, name="remind"),
        path("handoffs/<int:pk>/republish/", coordination.handoff_republish, name="republish"),
    ],
    "coordination",
)
