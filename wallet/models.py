from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from licensing.models import Product, SubscriptionPeriod
from organizations.models import Organization


class LicenseKey(models.Model):
    """A secret code for N licenses of one product, stored only as its digest."""

    digest = models.CharField(_("SHA-256 digest"), max_length=64, unique=True, editable=False)
    last_characters = models.CharField(
        _("last characters"), max_length=4, editable=False,
        help_text=_("The end of the key, to tell keys apart without revealing them."),
    )
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="license_keys")
    licenses = models.PositiveIntegerField(_("licenses"))
    order_reference = models.CharField(_("order reference"), max_length=80, blank=True)
    created_at = models.DateTimeField(_("issued at"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    redeemed_at = models.DateTimeField(_("redeemed at"), null=True, blank=True)
    redeemed_by = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.PROTECT,
        related_name="redeemed_keys", verbose_name=_("redeemed by"),
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(licenses__gte=1), name="key_licenses_positive"),
            # Redeemed means both who and when, or neither.
            models.CheckConstraint(
                condition=Q(redeemed_at__isnull=True, redeemed_by__isnull=True)
                | Q(redeemed_at__isnull=False, redeemed_by__isnull=False),
                name="key_redeemed_fields_together",
            ),
        ]
        verbose_name = _("license key")
        verbose_name_plural = _("license keys")

    def __str__(self) -> str:
        return f"…{self.last_characters} ({self.licenses} × {self.product.code})"


class WalletBalance(models.Model):
    """Licenses of one product redeemed by an organization and not yet consumed.

    ``licenses`` always equals the sum of the product's ledger entries of
    the organization; only the consumption service changes either.
    """

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="wallet_balances"
    )
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    licenses = models.IntegerField(_("licenses"), default=0)

    class Meta:
        ordering = ["product__name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "product"], name="balance_unique_product"),
            models.CheckConstraint(condition=Q(licenses__gte=0), name="balance_not_negative"),
        ]
        verbose_name = _("wallet balance")
        verbose_name_plural = _("wallet balances")

    def __str__(self) -> str:
        return f"{self.organization}: {self.licenses} × {self.product.code}"


class LedgerEntry(models.Model):
    """One movement of licenses into or out of a wallet; never changed afterwards."""

    class Kind(models.TextChoices):
        REDEEMED = "redeemed", _("Key redeemed")
        CONSUMED = "consumed", _("Consumed")
        CORRECTION = "correction", _("Correction by staff")

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="ledger_entries"
    )
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    change = models.IntegerField(_("change"), help_text=_("Positive into the wallet, negative out."))
    balance_after = models.IntegerField(_("balance after"))
    created_at = models.DateTimeField(_("at"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    license_key = models.ForeignKey(
        LicenseKey, null=True, blank=True, on_delete=models.PROTECT, related_name="ledger_entries"
    )
    period = models.ForeignKey(
        SubscriptionPeriod, null=True, blank=True, on_delete=models.PROTECT,
        related_name="ledger_entries",
    )
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(change=0), name="ledger_change_not_zero"),
            models.CheckConstraint(condition=Q(balance_after__gte=0), name="ledger_balance_not_negative"),
            # A key is credited once: at most one "redeemed" row per key.
            models.UniqueConstraint(
                fields=["license_key"], condition=Q(kind="redeemed"),
                name="ledger_key_credited_once",
            ),
        ]
        indexes = [models.Index(fields=["organization", "product", "-created_at"])]
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")

    def __str__(self) -> str:
        return f"{self.change:+d} {self.product.code} for {self.organization}"

