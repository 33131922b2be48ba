"""The project's URLs plus one nobody covered: the access matrix must notice it."""

from django.http import HttpResponse
from django.urls import path

from portal.urls import urlpatterns as project_patterns

urlpatterns = [
    *project_patterns,
    path("forgotten/", lambda request: HttpResponse("secret"), name="forgotten"),
]
