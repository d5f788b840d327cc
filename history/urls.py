from django.urls import path

from . import views

app_name = "history"

urlpatterns = [
    path("", views.history, name="history"),
    path("export.csv", views.export_csv, name="export"),
]
