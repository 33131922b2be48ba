from django.urls import path

from records import views

app_name = "records"
urlpatterns = [
    path("journeys/<uuid:public_id>/public-copy/", views.copy_page, name="public_copy"),
    path(
        "journeys/<uuid:public_id>/public-copy/download/",
        views.copy_download,
        name="public_copy_download",
    ),
]
