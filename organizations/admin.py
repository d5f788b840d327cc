"""Organizations, their members and the resellers in the Django admin, for ops staff.

Staff may correct an organization's name, country and time zone, and
each correction is recorded in the organization's History like any other
change. Memberships are shown but not edited here: who belongs to an
organization changes on its Members page, where the rule that an
organization keeps at least one admin is enforced and History records it.
"""

from django import forms
from django.contrib import admin
from django.db import models, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from history.models import Event
from history.services import record_event

from .forms import time_zone_choices
from .models import Membership, Organization, Reseller

# The fields that staff may correct. Each change is one History event.
CORRECTABLE_FIELDS = ["name", "country", "time_zone"]


class OrganizationAdminForm(forms.ModelForm):
    time_zone = forms.ChoiceField(label=_("time zone"), choices=time_zone_choices)

    class Meta:
        model = Organization
        fields = CORRECTABLE_FIELDS


class MembershipInline(admin.TabularInline):
    model = Membership
    fields = ["user", "role", "reminders_enabled", "created_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    form = OrganizationAdminForm
    list_display = ["name", "slug", "country", "time_zone", "require_mfa", "created_at"]
    list_filter = ["country", "require_mfa"]
    search_fields = ["name", "slug", "memberships__user__email"]
    search_help_text = _("Search by organization name, slug or a member's email address.")
    fields = ["name", "slug", "country", "time_zone", "require_mfa", "created_at"]
    readonly_fields = ["slug", "require_mfa", "created_at"]
    inlines = [MembershipInline]

    # An organization is created by its first admin, who becomes its member.
    # Deleting one would erase its licenses and History.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Organization, form, change: bool) -> None:
        changes = {
            field: [str(form.initial.get(field, "")), str(form.cleaned_data[field])]
            for field in form.changed_data
        }
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            if changes:
                record_event(
                    organization=obj,
                    action=Event.Action.ORGANIZATION_CHANGED,
                    at=timezone.now(),
                    actor=request.user,
                    details={"changes": changes},
                )


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "organization", "role", "reminders_enabled", "created_at"]
    list_filter = ["role", "reminders_enabled"]
    list_select_related = ["user", "organization"]
    search_fields = ["user__email", "organization__name", "organization__slug"]
    fields = ["user", "organization", "role", "reminders_enabled", "created_at"]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Reseller)
class ResellerAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "country", "city", "website", "email"]
    list_filter = ["country", "kind"]
    search_fields = ["name", "city", "email"]
    ordering = ["country", "name"]
    # A website typed without a scheme is taken as https, Django 6's default.
    formfield_overrides = {
        models.URLField: {"form_class": forms.URLField, "assume_scheme": "https"},
    }
