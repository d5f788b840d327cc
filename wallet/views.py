"""The Wallet page and the two steps of redeeming a license key: preview, confirm."""

import datetime
import logging
import uuid

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from history.idempotency import TokenReused, run_once
from licensemgr.formatting import format_instant
from organizations.access import organization_view

from .forms import RedeemConfirmForm, RedeemForm
from .keys import KeyFormatError, parse_key
from .models import LedgerEntry, WalletBalance
from .services import Redemption, RedeemError, plan_redemption, redeem_key
from .throttle import is_throttled, record_failure

logger = logging.getLogger(__name__)

LEDGER_PAGE_SIZE = 50


@organization_view()
@require_GET
def wallet(request: HttpRequest) -> HttpResponse:
    form = RedeemForm() if request.membership.can_change else None
    return render_wallet(request, form)


@organization_view(change=True)
@require_POST
def redeem_preview(request: HttpRequest) -> HttpResponse:
    """Show what redeeming the key would do, changing nothing."""
    if is_throttled(request):
        return render_wallet(request, rejected_form(request, "throttled"), status=429)

    form = RedeemForm(request.POST)
    if not form.is_valid():
        return render_wallet(request, form)

    try:
        plan = plan_redemption(
            organization=request.organization, key_text=form.cleaned_data["key"]
        )
    except RedeemError as error:
        record_failure(request, error.code)
        form.reject_key(error.code)
        return render_wallet(request, form)

    parsed = parse_key(form.cleaned_data["key"])
    confirm_form = RedeemConfirmForm(initial={
        "key": parsed.display,
        "submission_token": form.cleaned_data["submission_token"],
    })
    return render(request, "wallet/redeem_preview.html", {
        "plan": plan,
        "key_end": parsed.last_characters,
        "form": confirm_form,
        "licenses_missing": plan.still_needed - plan.wallet_after,
        # A grace period that has ended is no deadline to redeem before.
        "grace_ends_at": plan.grace_ends_at if is_future(plan.grace_ends_at) else None,
    })


@organization_view(change=True)
@require_POST
def redeem_confirm(request: HttpRequest) -> HttpResponse:
    """Redeem the previewed key once per submission token."""
    if is_throttled(request):
        return render_wallet(request, rejected_form(request, "throttled"), status=429)

    form = RedeemConfirmForm(request.POST)
    if not form.is_valid():
        logger.info(
            "Rejected an incomplete redemption in organization %s from user %s: %s",
            request.organization.pk, request.user.pk, list(form.errors),
        )
        return render_wallet(request, RedeemForm(request.POST))

    try:
        parsed = parse_key(form.cleaned_data["key"])
        result, ran = run_once(
            token=form.cleaned_data["submission_token"],
            organization=request.organization,
            user=request.user,
            scope="redeem",
            data={"key": parsed.digest},
            operation=lambda: redemption_result(redeem_key(
                organization=request.organization,
                key_text=parsed.normalized,
                actor=request.user,
            )),
        )
    except (KeyFormatError, RedeemError) as error:
        record_failure(request, error.code)
        return render_wallet(request, rejected_form(request, error.code))
    except TokenReused:
        return render_wallet(request, reused_token_form(request))

    if not ran:
        logger.info(
            "Showed the stored result of a repeated redemption in organization %s",
            request.organization.pk,
        )
    messages.success(request, redeemed_message(result))
    return redirect("wallet:wallet", slug=request.organization.slug)


def render_wallet(
    request: HttpRequest, form: RedeemForm | None, status: int = 200
) -> HttpResponse:
    """Render the Wallet page, with the redeem form and any errors it has."""
    organization = request.organization
    balances = (
        WalletBalance.objects.filter(organization=organization)
        .select_related("product")
        .order_by("product__name", "product__pk")
    )
    entries = (
        LedgerEntry.objects.filter(organization=organization)
        .select_related("product", "actor", "license_key", "period")
        .order_by("-created_at", "-pk")
    )
    page = Paginator(entries, LEDGER_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "wallet/wallet.html", {
        "form": form,
        "balances": balances,
        "page": page,
        "page_range": page.paginator.get_elided_page_range(page.number),
    }, status=status)


def rejected_form(request: HttpRequest, code: str) -> RedeemForm:
    form = RedeemForm(request.POST)
    form.is_valid()
    form.reject_key(code)
    return form


def reused_token_form(request: HttpRequest) -> RedeemForm:
    # A fresh token lets the member submit the same key again at once.
    form = RedeemForm({
        "key": request.POST.get("key", ""),
        "submission_token": uuid.uuid4(),
    })
    form.is_valid()
    form.reject_token()
    return form


def redemption_result(redemption: Redemption) -> dict:
    """Store what the success message needs, so that a replay shows the same text."""
    plan = redemption.plan
    return {
        "key_end": redemption.key.last_characters,
        "product": plan.product.name,
        "licenses": plan.licenses,
        "consumed": plan.consume,
        "stored": plan.store,
        "still_needed": plan.still_needed,
        "wallet_after": plan.wallet_after,
        "grace_ends_at": plan.grace_ends_at.isoformat() if plan.grace_ends_at else None,
    }


def redeemed_message(result: dict) -> str:
    product = result["product"]
    parts = [ngettext(
        "Redeemed license key …%(last)s with %(count)s license of %(product)s.",
        "Redeemed license key …%(last)s with %(count)s licenses of %(product)s.",
        result["licenses"],
    ) % {"last": result["key_end"], "count": result["licenses"], "product": product}]

    if result["consumed"]:
        parts.append(ngettext(
            "%(count)s license was consumed: %(product)s is licensed now.",
            "%(count)s licenses were consumed: %(product)s is licensed now.",
            result["consumed"],
        ) % {"count": result["consumed"], "product": product})
    if result["stored"]:
        parts.append(ngettext(
            "%(count)s license went to your Wallet.",
            "%(count)s licenses went to your Wallet.",
            result["stored"],
        ) % {"count": result["stored"]})
    parts.append(ngettext(
        "Your Wallet now holds %(count)s license of %(product)s.",
        "Your Wallet now holds %(count)s licenses of %(product)s.",
        result["wallet_after"],
    ) % {"count": result["wallet_after"], "product": product})
    if result["still_needed"]:
        parts.append(still_needed_text(result))
    return " ".join(parts)


def still_needed_text(result: dict) -> str:
    needed = result["still_needed"]
    values = {
        "product": result["product"],
        "needed": needed,
        "missing": needed - result["wallet_after"],
    }
    grace_end = parse_datetime(result["grace_ends_at"] or "")
    if not is_future(grace_end):
        return ngettext(
            "%(product)s needs %(needed)s more license to be licensed: "
            "redeem at least %(missing)s more to license it.",
            "%(product)s needs %(needed)s more licenses to be licensed: "
            "redeem at least %(missing)s more to license it.",
            needed,
        ) % values

    values["end"] = format_instant(grace_end)
    return ngettext(
        "%(product)s needs %(needed)s more license to be licensed: "
        "redeem at least %(missing)s more before %(end)s.",
        "%(product)s needs %(needed)s more licenses to be licensed: "
        "redeem at least %(missing)s more before %(end)s.",
        needed,
    ) % values


def is_future(instant: datetime.datetime | None) -> bool:
    return instant is not None and instant > timezone.now()
