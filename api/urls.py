from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView
from oauth2_provider import views as oauth_views
from rest_framework.routers import SimpleRouter

from api import problems
from api.views import docs, documents, feed, journey_types, journeys, steps, subscriptions

app_name = "api"

router = SimpleRouter()
router.register("journey-types", journey_types.JourneyTypeViewSet, basename="journey-type")
router.register("journeys", journeys.JourneyViewSet, basename="journey")
router.register("steps", steps.StepViewSet, basename="step")
router.register("subscriptions", subscriptions.SubscriptionViewSet, basename="subscription")
router.register("documents", documents.DocumentViewSet, basename="document")

urlpatterns = [
    path("v1/oauth/token/", oauth_views.TokenView.as_view(), name="token"),
    path("v1/oauth/revoke/", oauth_views.RevokeTokenView.as_view(), name="revoke"),
    path("v1/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("v1/docs/", docs.api_docs, name="docs"),
    path("v1/feed/", feed.FeedView.as_view(), name="feed"),
    path("v1/", include(router.urls)),
    re_path(r"^", problems.not_found, name="not_found"),
]
