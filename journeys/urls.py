from django.urls import path

from journeys.views import casework, coordination

casework_patterns = (
    [
        path("", casework.queue, name="queue"),
        path("steps/<int:pk>/", casework.case, name="case"),
        path("steps/<int:pk>/claim/", casework.case_claim, name="claim"),
        path("steps/<int:pk>/decide/", casework.case_decide, name="decide"),
    ],
    "casework",
)

coordination_patterns = (
    [
        path("", coordination.dashboard, name="dashboard"),
        path("journeys/<uuid:public_id>/", coordination.journey_detail, name="journey"),
    ],
    "coordination",
)
