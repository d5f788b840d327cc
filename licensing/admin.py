"""The licensing models in the Django admin, for the vendor's ops staff.

Staff edit the catalog: products and new versions of their terms. Trials,
subscriptions and acceptances are records of what organizations did, each
with its History event and, for consumption, its ledger entries, so the
admin shows them read-only: a hand edit would leave those out of step.
"""

from django.contrib import admin
from django.http import HttpRequest

from .models import (
    Product, Subscription, SubscriptionPeriod, Terms, TermsAcceptance, Trial,
)


class ViewOnlyMixin:
    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class TermsInline(admin.StackedInline):
    """New versions of a product's terms; published ones stay as accepted."""

    model = Terms
    extra = 0
    fields = ["version", "published_at", "text"]

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "unit", "trial_days", "is_available"]
    list_filter = ["is_available"]
    search_fields = ["name", "code"]
    prepopulated_fields = {"code": ["name"]}
    inlines = [TermsInline]

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        # Pages, keys, History and the installed software refer to the
        # code, so it stays as it was created.
        return ["code"] if obj is not None else []

    def get_prepopulated_fields(self, request: HttpRequest, obj=None):
        return {} if obj is not None else self.prepopulated_fields


@admin.register(Terms)
class TermsAdmin(admin.ModelAdmin):
    list_display = ["product", "version", "published_at"]
    list_filter = ["product"]
    list_select_related = ["product"]
    search_fields = ["product__name", "product__code", "version"]
    date_hierarchy = "published_at"

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        # Organizations accepted the text as published: publish a new
        # version instead of rewriting one.
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Trial)
class TrialAdmin(ViewOnlyMixin, admin.ModelAdmin):
    list_display = ["product", "organization", "started_at", "ends_at", "started_by"]
    list_filter = ["product"]
    list_select_related = ["product", "organization", "started_by"]
    search_fields = ["organization__name", "organization__slug", "product__code"]
    date_hierarchy = "started_at"


class SubscriptionPeriodInline(ViewOnlyMixin, admin.TabularInline):
    model = SubscriptionPeriod
    extra = 0
    fields = ["number", "starts_at", "ends_at", "licensed_units", "grace_ends_at"]
    readonly_fields = fields


class TermsAcceptanceInline(ViewOnlyMixin, admin.TabularInline):
    model = TermsAcceptance
    extra = 0
    fields = ["terms", "accepted_by_name", "accepted_at"]
    readonly_fields = fields


@admin.register(Subscription)
class SubscriptionAdmin(ViewOnlyMixin, admin.ModelAdmin):
    """Subscriptions and their periods; only consumption changes licensed units."""

    list_display = ["product", "organization", "activated_at", "usage"]
    list_filter = ["product"]
    list_select_related = ["product", "organization"]
    search_fields = ["organization__name", "organization__slug", "product__code"]
    date_hierarchy = "activated_at"
    fields = [
        "organization", "product", "activated_at", "activated_by",
        "usage", "usage_changed_at",
    ]
    readonly_fields = fields
    inlines = [SubscriptionPeriodInline, TermsAcceptanceInline]


@admin.register(TermsAcceptance)
class TermsAcceptanceAdmin(ViewOnlyMixin, admin.ModelAdmin):
    list_display = ["terms", "organization", "accepted_by_name", "accepted_at"]
    list_filter = ["terms__product"]
    list_select_related = ["terms__product", "organization"]
    search_fields = ["organization__name", "accepted_by_name", "terms__product__code"]
    date_hierarchy = "accepted_at"
    fields = [
        "organization", "terms", "subscription", "accepted_by_name", "accepted_at",
    ]
    readonly_fields = fields
