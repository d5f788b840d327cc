"""History in the Django admin: events and submissions can be read, never written.

Events are evidence of what happened in an organization, so no one, staff
included, adds, changes or deletes one here.
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from licensemgr.admin import ReadOnlyAdmin

from .models import Event, Submission


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ["occurred_at", "organization", "actor_name", "actor_kind", "action", "product"]
    list_filter = ["action", "actor_kind", "organization"]
    list_select_related = ["organization", "product"]
    search_fields = ["actor_name"]
    search_help_text = _("Search by the name or email address of who acted.")
    fields = [
        "occurred_at", "organization", "action", "actor_kind", "actor_name", "actor",
        "product", "summary", "details",
    ]
    readonly_fields = ["summary"]
    raw_id_fields = ["actor"]
    # Counting every event for the "N total" link is slow on a long History.
    show_full_result_count = False

    @admin.display(description=_("what happened"))
    def summary(self, event: Event) -> str:
        return event.summary()


@admin.register(Submission)
class SubmissionAdmin(ReadOnlyAdmin):
    list_display = ["token", "organization", "user", "created_at"]
    list_filter = ["organization"]
    list_select_related = ["organization", "user"]
    search_fields = ["token"]
    fields = ["token", "organization", "user", "fingerprint", "result", "created_at"]
    raw_id_fields = ["user"]
    show_full_result_count = False
