from django.urls import path

from . import member_views, views

app_name = "organizations"

urlpatterns = [
    path("", views.select_organization, name="select"),
    path("new/", views.create_organization, name="create"),
    path("<slug:slug>/reminders/", views.change_reminders, name="reminders"),
    path("<slug:slug>/members/", member_views.members_page, name="members"),
    path("<slug:slug>/members/invite/", member_views.invite, name="invite"),
    path("<slug:slug>/members/leave/", member_views.leave, name="leave"),
    path("<slug:slug>/members/two-factor/", member_views.require_mfa, name="require_mfa"),
    path("<slug:slug>/members/<int:member_id>/role/", member_views.change_role,
         name="change_role"),
    path("<slug:slug>/members/<int:member_id>/remove/", member_views.remove_member,
         name="remove_member"),
    path("<slug:slug>/invitations/<int:invitation_id>/revoke/", member_views.revoke_invitation,
         name="revoke_invitation"),
]
