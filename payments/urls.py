from django.urls import path

from payments import views

app_name = "payments"
urlpatterns = [
    path("", views.payment_files, name="files"),
    path("<int:pk>/", views.payment_file, name="file"),
]
