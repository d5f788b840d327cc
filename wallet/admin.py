"""The wallet in the Django admin, for the vendor's ops staff.

Keys are issued and revoked only through the views and actions here, and
balances change only through the consumption service: no admin form edits
a key, a balance or a ledger entry directly.
"""

import logging

from django.contrib import admin, messages
from django.contrib.admin.models import CHANGE, LogEntry
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _, ngettext

from history.idempotency import TokenReused, run_once
from licensemgr.admin import ReadOnlyAdmin

from .forms import CorrectionForm, IssueKeysForm
from .issuing import issue_keys, revoke_keys
from .keys import KeyFormatError, parse_key
from .models import LedgerEntry, LicenseKey, WalletBalance
from .services import CorrectionError, correct_balance

logger = logging.getLogger(__name__)


@admin.register(LicenseKey)
class LicenseKeyAdmin(ReadOnlyAdmin):
    list_display = [
        "key_end", "product", "licenses", "order_reference", "created_at",
        "redeemed_by", "redeemed_at", "revoked_at",
    ]
    list_filter = [
        "product",
        ("redeemed_at", admin.EmptyFieldListFilter),
        ("revoked_at", admin.EmptyFieldListFilter),
    ]
    list_select_related = ["product", "redeemed_by"]
    search_fields = ["order_reference", "last_characters"]
    search_help_text = _(
        "Paste a whole license key, or type its last four characters or an order reference."
    )
    fields = [
        "last_characters", "product", "licenses", "order_reference", "created_at",
        "redeemed_by", "redeemed_at", "revoked_at",
    ]
    actions = ["revoke_selected"]
    change_list_template = "wallet/admin/license_key_change_list.html"

    @admin.display(description=_("key"), ordering="last_characters")
    def key_end(self, key: LicenseKey) -> str:
        return f"…{key.last_characters}"

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("wallet.change_licensekey")

    def has_issue_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("wallet.add_licensekey")

    def get_search_results(self, request, queryset, search_term):
        # Only digests are stored, so a whole key is found by its digest.
        try:
            parsed = parse_key(search_term)
        except KeyFormatError as error:
            if error.code == "typo":
                self.message_user(request, _(
                    "The search text has the form of a license key, but its last "
                    "character does not match the others: the key contains a typo."
                ), messages.WARNING)
            # "…ABCD" is how pages show the last characters of a key.
            term = search_term.strip().lstrip("…")
            return super().get_search_results(request, queryset, term)
        return queryset.filter(digest=parsed.digest), False

    @admin.action(description=_("Revoke selected keys"), permissions=["revoke"])
    def revoke_selected(self, request: HttpRequest, queryset):
        # Revoking cannot be undone, so the action first shows the keys and
        # acts only when that page is submitted, as Django's delete does.
        if request.POST.get("confirmed") != "yes":
            return TemplateResponse(request, "wallet/admin/revoke_confirm.html", {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": _("Revoke license keys?"),
                "keys": queryset.select_related("product", "redeemed_by"),
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            })

        selected = queryset.count()
        revoked = revoke_keys(key_ids=queryset.values_list("pk", flat=True))
        if revoked:
            LogEntry.objects.log_actions(
                user_id=request.user.pk, queryset=revoked, action_flag=CHANGE,
                change_message="Revoked",
            )

        text = ngettext(
            "Revoked %(count)d key.", "Revoked %(count)d keys.", len(revoked)
        ) % {"count": len(revoked)}
        skipped = selected - len(revoked)
        if skipped:
            text += " " + ngettext(
                "%(count)d selected key was redeemed or revoked already and was left as it is.",
                "%(count)d selected keys were redeemed or revoked already and were left as they are.",
                skipped,
            ) % {"count": skipped}
        self.message_user(request, text, messages.SUCCESS if revoked else messages.WARNING)

    def get_urls(self):
        return [
            path(
                "issue/", self.admin_site.admin_view(self.issue_keys_view),
                name="wallet_licensekey_issue",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request: HttpRequest, extra_context=None):
        extra_context = {
            **(extra_context or {}), "can_issue_keys": self.has_issue_permission(request)
        }
        return super().changelist_view(request, extra_context)

    def issue_keys_view(self, request: HttpRequest) -> HttpResponse:
        """Issue a batch and show its keys once, since only their digests are kept."""
        if not self.has_issue_permission(request):
            raise PermissionDenied

        # NOTE: issuing has no submission token, because keys belong to no
        # organization yet. A double submit issues two batches and shows only
        # the second; the first stays unseen and can be revoked by its order.
        form = IssueKeysForm(request.POST or None)
        keys = []
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            keys = issue_keys(
                product=data["product"], licenses=data["licenses"], count=data["count"],
                order_reference=data["order_reference"],
            )
            logger.info(
                "User %s issued %s keys of %s in the admin", request.user.pk, len(keys),
                data["product"].code,
            )
        return TemplateResponse(request, "wallet/admin/issue_keys.html", {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Issue keys"),
            "form": form,
            "keys_text": "\n".join(keys),
            "key_count": len(keys),
            "rows": min(len(keys), 20),
        })


@admin.register(WalletBalance)
class WalletBalanceAdmin(ReadOnlyAdmin):
    list_display = ["organization", "product", "licenses"]
    list_filter = ["product"]
    list_select_related = ["organization", "product"]
    search_fields = ["organization__name", "organization__slug"]
    change_list_template = "wallet/admin/wallet_balance_change_list.html"

    def has_correct_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("wallet.change_walletbalance")

    def get_urls(self):
        return [
            path(
                "correct/", self.admin_site.admin_view(self.correct_view),
                name="wallet_walletbalance_correct",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request: HttpRequest, extra_context=None):
        extra_context = {
            **(extra_context or {}), "can_correct": self.has_correct_permission(request)
        }
        return super().changelist_view(request, extra_context)

    def correct_view(self, request: HttpRequest) -> HttpResponse:
        """Add or remove licenses through the consumption service, with a reason."""
        if not self.has_correct_permission(request):
            raise PermissionDenied

        form = CorrectionForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            if self.apply_correction(request, form):
                return HttpResponseRedirect(reverse("admin:wallet_walletbalance_changelist"))
        return TemplateResponse(request, "wallet/admin/correct_balance.html", {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Correct a wallet"),
            "form": form,
        })

    def apply_correction(self, request: HttpRequest, form: CorrectionForm) -> bool:
        data = form.cleaned_data
        try:
            result, _ran = run_once(
                token=data["submission_token"],
                organization=data["organization"],
                user=request.user,
                scope="correct",
                data={
                    "product": data["product"].pk, "change": data["change"],
                    "reason": data["reason"],
                },
                operation=lambda: {"balance_after": correct_balance(
                    organization=data["organization"], product=data["product"],
                    change=data["change"], reason=data["reason"], actor=request.user,
                ).balance_after},
            )
        except CorrectionError as error:
            logger.info(
                "Rejected a wallet correction by user %s: %s", request.user.pk, error.code
            )
            form.reject(error.code)
            return False
        except TokenReused:
            form.reject("token_reused")
            return False

        self.message_user(request, _(
            "Corrected the wallet of %(organization)s by %(change)+d %(product)s licenses: "
            "it now holds %(balance)s."
        ) % {
            "organization": data["organization"], "change": data["change"],
            "product": data["product"].name, "balance": result["balance_after"],
        }, messages.SUCCESS)
        return True


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at", "organization", "product", "kind", "change", "balance_after",
        "key_end", "actor", "note",
    ]
    list_filter = ["kind", "product"]
    list_select_related = ["organization", "product", "license_key", "actor"]
    search_fields = ["organization__name", "organization__slug", "note"]
    date_hierarchy = "created_at"

    @admin.display(description=_("key"))
    def key_end(self, entry: LedgerEntry) -> str:
        return f"…{entry.license_key.last_characters}" if entry.license_key else ""
