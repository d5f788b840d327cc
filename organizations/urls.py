from django.urls import path

from . import views

app_name = "organizations"

urlpatterns = [
    path("", views.select_organization, name="select"),
    path("new/", views.create_organization, name="create"),
    path("<slug:slug>/reminders/", views.change_reminders, name="reminders"),
]
