"""User and group admin that staff cannot use to raise their own permissions.

Only superusers grant permissions. A staff member allowed to change users
can still fix names and addresses, but gets the permission fields read
only, and cannot change groups at all, because a group they belong to
would carry new permissions to themselves.
"""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group

PERMISSION_FIELDS = ("is_staff", "is_superuser", "groups", "user_permissions")


class GuardedUserAdmin(UserAdmin):
    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        if request.user.is_superuser:
            return fields
        return (*fields, *PERMISSION_FIELDS)


class GuardedGroupAdmin(GroupAdmin):
    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


def register() -> None:
    User = get_user_model()
    for model, model_admin in ((User, GuardedUserAdmin), (Group, GuardedGroupAdmin)):
        if admin.site.is_registered(model):
            admin.site.unregister(model)
        admin.site.register(model, model_admin)
