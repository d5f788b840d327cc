"""Checks of the ledger's invariants over the whole database.

1. A wallet balance equals the sum of its ledger entries and is not negative.
2. A license key is credited at most once, to the organization that redeemed it.
3. Per organization and product, the licenses of redeemed keys plus
   corrections equal the licenses still in the wallet plus the licenses
   consumed, and what was consumed equals what the subscription periods hold.
4. Every ledger entry has its History event, written at the same instant,
   and every redemption event has its ledger entry.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass

from django.db.models import Count, F, Q, Sum

from history.models import Event
from licensing.models import SubscriptionPeriod

from .models import LedgerEntry, LicenseKey, WalletBalance

# The History action written with each kind of ledger entry.
EVENT_ACTIONS_OF_KIND = {
    LedgerEntry.Kind.REDEEMED: {Event.Action.KEY_REDEEMED},
    LedgerEntry.Kind.CONSUMED: {
        Event.Action.KEY_REDEEMED,
        Event.Action.ACTIVATED,
        Event.Action.USAGE_CHANGED,
        Event.Action.LICENSES_CONSUMED,
        Event.Action.RENEWED,
        Event.Action.WALLET_CORRECTED,
    },
    LedgerEntry.Kind.CORRECTION: {Event.Action.WALLET_CORRECTED},
}


@dataclass(frozen=True)
class Violation:
    rule: int
    message: str

    def __str__(self) -> str:
        return f"rule {self.rule}: {self.message}"


def find_violations() -> list[Violation]:
    return [
        *_check_balances(),
        *_check_keys(),
        *_check_conservation(),
        *_check_events(),
    ]


def _check_balances():
    sums = {
        (row["organization_id"], row["product_id"]): row["total"]
        for row in LedgerEntry.objects.values("organization_id", "product_id").annotate(total=Sum("change"))
    }
    seen = set()
    for balance in WalletBalance.objects.all():
        pair = (balance.organization_id, balance.product_id)
        seen.add(pair)
        total = sums.get(pair, 0)
        if balance.licenses != total:
            yield Violation(1, (
                f"wallet balance {balance.pk} (organization {pair[0]}, product {pair[1]}) "
                f"is {balance.licenses} but its ledger entries sum to {total}"
            ))
        if balance.licenses < 0:
            yield Violation(1, f"wallet balance {balance.pk} is negative: {balance.licenses}")
    for pair in sums.keys() - seen:
        yield Violation(1, (
            f"ledger entries of organization {pair[0]}, product {pair[1]} "
            f"sum to {sums[pair]} but there is no wallet balance"
        ))


def _check_keys():
    credits = (
        LedgerEntry.objects.filter(kind=LedgerEntry.Kind.REDEEMED)
        .values("license_key_id")
        .annotate(count=Count("id"), organizations=Count("organization_id", distinct=True))
    )
    credited = {}
    for row in credits:
        credited[row["license_key_id"]] = row
        if row["count"] > 1:
            yield Violation(2, f"license key {row['license_key_id']} was credited {row['count']} times")

    for entry in LedgerEntry.objects.filter(kind=LedgerEntry.Kind.REDEEMED).select_related("license_key"):
        key = entry.license_key
        if key is None:
            yield Violation(2, f"ledger entry {entry.pk} credits licenses without a license key")
        elif key.redeemed_by_id != entry.organization_id:
            yield Violation(2, (
                f"license key {key.pk} was credited to organization {entry.organization_id} "
                f"but is recorded as redeemed by {key.redeemed_by_id}"
            ))
        elif entry.change != key.licenses or entry.product_id != key.product_id:
            yield Violation(2, (
                f"ledger entry {entry.pk} credits {entry.change} of product {entry.product_id} "
                f"but key {key.pk} carries {key.licenses} of product {key.product_id}"
            ))

    for key_id in LicenseKey.objects.filter(redeemed_at__isnull=False).values_list("pk", flat=True):
        if key_id not in credited:
            yield Violation(2, f"license key {key_id} is marked redeemed but was never credited")


def _check_conservation():
    per_kind = defaultdict(lambda: defaultdict(int))
    for row in LedgerEntry.objects.values("organization_id", "product_id", "kind").annotate(total=Sum("change")):
        per_kind[(row["organization_id"], row["product_id"])][row["kind"]] = row["total"]

    carried = defaultdict(int)
    for row in (
        LicenseKey.objects.filter(redeemed_by__isnull=False)
        .values("redeemed_by_id", "product_id")
        .annotate(total=Sum("licenses"))
    ):
        carried[(row["redeemed_by_id"], row["product_id"])] = row["total"]

    in_periods = defaultdict(int)
    for row in (
        SubscriptionPeriod.objects.values("subscription__organization_id", "subscription__product_id")
        .annotate(total=Sum("licensed_units"))
    ):
        in_periods[(row["subscription__organization_id"], row["subscription__product_id"])] = row["total"]

    balances = {
        (b.organization_id, b.product_id): b.licenses for b in WalletBalance.objects.all()
    }
    for pair in set(per_kind) | set(carried) | set(in_periods):
        kinds = per_kind[pair]
        consumed = -kinds[LedgerEntry.Kind.CONSUMED]
        in_wallet = balances.get(pair, 0)
        if carried[pair] + kinds[LedgerEntry.Kind.CORRECTION] != in_wallet + consumed:
            yield Violation(3, (
                f"organization {pair[0]}, product {pair[1]}: keys carried {carried[pair]} and "
                f"corrections {kinds[LedgerEntry.Kind.CORRECTION]}, but the wallet holds "
                f"{in_wallet} and {consumed} were consumed"
            ))
        if consumed != in_periods[pair]:
            yield Violation(3, (
                f"organization {pair[0]}, product {pair[1]}: {consumed} licenses were consumed "
                f"but the subscription periods hold {in_periods[pair]}"
            ))

    mismatched = LedgerEntry.objects.filter(kind=LedgerEntry.Kind.CONSUMED).filter(
        Q(period__isnull=True)
        | ~Q(period__subscription__organization_id=F("organization_id"))
        | ~Q(period__subscription__product_id=F("product_id"))
    )
    for entry_id in mismatched.values_list("pk", flat=True):
        yield Violation(3, f"consumption {entry_id} is not tied to a period of its own subscription")


def _check_events():
    events = defaultdict(set)
    for row in Event.objects.values("organization_id", "product_id", "occurred_at", "action"):
        events[(row["organization_id"], row["product_id"], row["occurred_at"])].add(row["action"])

    ledger_moments = set()
    for entry in LedgerEntry.objects.values("pk", "organization_id", "product_id", "created_at", "kind"):
        moment = (entry["organization_id"], entry["product_id"], entry["created_at"])
        ledger_moments.add((moment, entry["kind"]))
        if not events[moment] & EVENT_ACTIONS_OF_KIND[entry["kind"]]:
            yield Violation(4, f"ledger entry {entry['pk']} has no History event written with it")

    for moment, actions in events.items():
        if Event.Action.KEY_REDEEMED in actions and (moment, LedgerEntry.Kind.REDEEMED) not in ledger_moments:
            yield Violation(4, (
                f"a key redemption event of organization {moment[0]} at {moment[2].isoformat()} "
                "has no ledger entry"
            ))

    redemptions = Counter(
        Event.objects.filter(action=Event.Action.KEY_REDEEMED).values_list("organization_id", flat=True)
    )
    redeemed = Counter(
        LicenseKey.objects.filter(redeemed_by__isnull=False).values_list("redeemed_by_id", flat=True)
    )
    for organization_id in set(redemptions) | set(redeemed):
        if redemptions[organization_id] != redeemed[organization_id]:
            yield Violation(4, (
                f"organization {organization_id} redeemed {redeemed[organization_id]} keys "
                f"but History has {redemptions[organization_id]} redemption events"
            ))
