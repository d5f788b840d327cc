"""Results of the licensing actions, and the messages that tell the member about them.

Each result is stored with its submission token, so a repeated submission
shows the same message as the first one without acting again. Results
hold only JSON values: names, numbers and ISO instants.
"""

from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _, ngettext

from licensemgr.formatting import format_instant
from wallet.models import WalletBalance

from .calendar import GRACE_DAYS
from .models import Product, Subscription, SubscriptionPeriod, Trial
from .status import ProductState, Status


def trial_result(trial: Trial) -> dict:
    return {
        "product": trial.product.name,
        "trial_days": trial.product.trial_days,
        "ends_at": trial.ends_at.isoformat(),
    }


def trial_started_message(result: dict) -> str:
    return _("Started the %(days)s-day trial of %(product)s. It ends on %(end)s.") % {
        "days": result["trial_days"],
        "product": result["product"],
        "end": _instant(result["ends_at"]),
    }


def activation_result(subscriptions: list[Subscription]) -> dict:
    first_periods = {
        period.subscription_id: period
        for period in SubscriptionPeriod.objects.filter(
            subscription__in=subscriptions, number=1
        )
    }
    wallets = dict(
        WalletBalance.objects.filter(
            organization_id__in={s.organization_id for s in subscriptions},
            product_id__in={s.product_id for s in subscriptions},
        ).values_list("product_id", "licenses")
    )
    products = []
    for subscription in sorted(subscriptions, key=lambda s: s.product.name.lower()):
        period = first_periods[subscription.pk]
        grace_ends_at = period.grace_ends_at
        products.append({
            "product": subscription.product.name,
            "usage": subscription.usage,
            "consumed": period.licensed_units,
            "to_redeem": max(
                0, subscription.usage - period.licensed_units
                - wallets.get(subscription.product_id, 0)
            ),
            "grace_ends_at": grace_ends_at.isoformat() if grace_ends_at else None,
        })
    return {"products": products}


def activated_message(result: dict) -> str:
    return " ".join(_activated_text(product) for product in result["products"])


def _activated_text(product: dict) -> str:
    if product["consumed"]:
        return ngettext(
            "Activated %(product)s: %(count)s license was consumed from the Wallet, "
            "so %(product)s is licensed.",
            "Activated %(product)s: %(count)s licenses were consumed from the Wallet, "
            "so %(product)s is licensed.",
            product["consumed"],
        ) % {"product": product["product"], "count": product["consumed"]}

    return ngettext(
        "Activated %(product)s. Its %(days)s-day grace period ends on %(end)s: "
        "redeem license keys with %(count)s license before then.",
        "Activated %(product)s. Its %(days)s-day grace period ends on %(end)s: "
        "redeem license keys with %(count)s licenses before then.",
        product["to_redeem"],
    ) % {
        "product": product["product"],
        "days": GRACE_DAYS,
        "end": _instant(product["grace_ends_at"]),
        "count": product["to_redeem"],
    }


def usage_result(
    *,
    product: Product,
    old_usage: int,
    consumed: int,
    before: ProductState,
    after: ProductState,
) -> dict:
    return {
        "product": product.name,
        "unit": product.unit,
        "unit_plural": product.unit_plural,
        "old_usage": old_usage,
        "usage": after.usage,
        "consumed": consumed,
        "status": after.status.value,
        "shortfall": after.shortfall,
        "to_redeem": after.to_redeem,
        "licensed_units": after.licensed_units,
        "ends_at": after.ends_at.isoformat() if after.ends_at else None,
        "grace_started": before.shortfall == 0 and after.shortfall > 0,
    }


def usage_changed_message(result: dict) -> str:
    values = {
        "product": result["product"],
        "usage": _units(result["usage"], result),
        "old": result["old_usage"],
    }
    if result["usage"] > result["old_usage"]:
        changed = _("The usage of %(product)s is now %(usage)s, up from %(old)s.")
    else:
        changed = _("The usage of %(product)s is now %(usage)s, down from %(old)s.")
    return " ".join([changed % values, _usage_outcome(result)])


def _usage_outcome(result: dict) -> str:
    values = {
        "product": result["product"],
        "count": result["consumed"] or result.get("to_redeem", result["shortfall"]),
        "days": GRACE_DAYS,
        "end": _instant(result["ends_at"]) if result["ends_at"] else "",
        "licensed": result["licensed_units"],
    }
    if result["consumed"]:
        return ngettext(
            "%(count)s license was consumed from the Wallet, so %(product)s is "
            "licensed.",
            "%(count)s licenses were consumed from the Wallet, so %(product)s is "
            "licensed.",
            values["count"],
        ) % values
    if result["status"] == Status.GRACE and result["grace_started"]:
        return ngettext(
            "The Wallet cannot cover the new usage, so a %(days)s-day grace period "
            "started. Redeem %(count)s more license before it ends on %(end)s.",
            "The Wallet cannot cover the new usage, so a %(days)s-day grace period "
            "started. Redeem %(count)s more licenses before it ends on %(end)s.",
            values["count"],
        ) % values
    if result["status"] == Status.GRACE:
        return ngettext(
            "Redeem %(count)s more license of %(product)s by %(end)s, when its "
            "grace period ends.",
            "Redeem %(count)s more licenses of %(product)s by %(end)s, when its "
            "grace period ends.",
            values["count"],
        ) % values
    if result["status"] == Status.UNLICENSED:
        return ngettext(
            "%(product)s stays unlicensed until %(count)s more license of it is "
            "redeemed.",
            "%(product)s stays unlicensed until %(count)s more licenses of it are "
            "redeemed.",
            values["count"],
        ) % values
    if result["usage"] < result["old_usage"]:
        return _("Nothing else to do: lower usage refunds no consumed licenses.")
    return ngettext(
        "Nothing else to do: the %(licensed)s licensed unit covers it.",
        "Nothing else to do: the %(licensed)s licensed units cover it.",
        values["licensed"],
    ) % values


def _units(count: int, result: dict) -> str:
    unit = result["unit"] if count == 1 else result["unit_plural"]
    return f"{count} {unit}"


def _instant(iso: str) -> str:
    return format_instant(parse_datetime(iso))
