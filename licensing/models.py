from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from organizations.models import Organization


class Product(models.Model):
    """Software sold as an annual subscription, licensed per unit."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    unit = models.CharField(
        _("unit"), max_length=40, help_text=_("What one license covers, e.g. device.")
    )
    unit_plural = models.CharField(_("unit, plural"), max_length=40)
    trial_days = models.PositiveIntegerField(_("trial length in days"), default=30)
    description = models.TextField(_("product page text"), blank=True)
    is_available = models.BooleanField(
        _("available"), default=True,
        help_text=_("Unavailable products cannot be trialed or activated."),
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(trial_days__gte=1), name="product_trial_days_positive"),
        ]
        verbose_name = _("product")
        verbose_name_plural = _("products")

    def __str__(self) -> str:
        return self.name

    def current_terms(self) -> "Terms | None":
        return self.terms.order_by("-published_at", "-pk").first()


class Terms(models.Model):
    """One version of a product's terms and conditions; the newest is current."""

    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="terms")
    version = models.CharField(_("version"), max_length=20)
    text = models.TextField(_("text"))
    published_at = models.DateTimeField(_("published at"))

    class Meta:
        ordering = ["product", "-published_at"]
        constraints = [
            models.UniqueConstraint(fields=["product", "version"], name="terms_unique_version"),
        ]
        verbose_name = _("terms")
        verbose_name_plural = _("terms")

    def __str__(self) -> str:
        return f"{self.product.code} terms {self.version}"


class Trial(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="trials")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="trials")
    started_at = models.DateTimeField(_("started at"))
    ends_at = models.DateTimeField(_("ends at"))
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        constraints = [
            # A product has one trial per organization, ever.
            models.UniqueConstraint(fields=["organization", "product"], name="trial_once_per_product"),
            models.CheckConstraint(condition=Q(ends_at__gte=models.F("started_at")), name="trial_ends_after_start"),
        ]
        indexes = [models.Index(fields=["ends_at"])]

    def __str__(self) -> str:
        return f"{self.product} trial for {self.organization}"


class Subscription(models.Model):
    """The annual subscription of one product in one organization.

    ``usage`` is the number of units in use now. What is licensed lives on
    each ``SubscriptionPeriod``; a period's licensed units only grow, because
    consumed licenses never return to the wallet.
    """

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="subscriptions"
    )
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="subscriptions")
    activated_at = models.DateTimeField(_("activated at"))
    activated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    usage = models.PositiveIntegerField(_("usage"))
    usage_changed_at = models.DateTimeField(_("usage changed at"))

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "product"], name="subscription_once_per_product"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product} subscription of {self.organization}"


class SubscriptionPeriod(models.Model):
    """One year of a subscription, from one anniversary of activation to the next."""

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="periods")
    number = models.PositiveIntegerField(_("number"), help_text=_("1 for the first year."))
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    licensed_units = models.PositiveIntegerField(_("licensed units"), default=0)
    grace_ends_at = models.DateTimeField(_("grace period ends at"), null=True, blank=True)

    class Meta:
        ordering = ["subscription", "number"]
        constraints = [
            models.UniqueConstraint(fields=["subscription", "number"], name="period_unique_number"),
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="period_ends_after_start"),
            models.CheckConstraint(condition=Q(licensed_units__gte=0), name="period_licensed_not_negative"),
        ]
        indexes = [models.Index(fields=["ends_at"]), models.Index(fields=["grace_ends_at"])]

    def __str__(self) -> str:
        return f"{self.subscription} period {self.number}"


class TermsAcceptance(models.Model):
    """A record of one acceptance of a product's terms: version, organization, person and time."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="terms_acceptances"
    )
    terms = models.ForeignKey(Terms, on_delete=models.PROTECT, related_name="acceptances")
    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="terms_acceptances"
    )
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    accepted_by_name = models.CharField(_("accepted by"), max_length=254)
    accepted_at = models.DateTimeField(_("accepted at"))

    def __str__(self) -> str:
        return f"{self.terms} accepted by {self.accepted_by_name}"


class Milestone(models.Model):
    """A dated happening that scheduled work handles once: an end, or a reminder of one.

    The unique constraint makes the pass idempotent: a worker inserts the
    milestone in the same transaction as its effect, so a second worker,
    or a second pass, finds it done.
    """

    class Kind(models.TextChoices):
        TRIAL_ENDED = "trial_ended", _("Trial ended")
        GRACE_ENDED = "grace_ended", _("Grace period ended")
        TRIAL_END_REMINDER = "trial_end_reminder", _("Trial end reminder")
        GRACE_END_REMINDER = "grace_end_reminder", _("Grace period end reminder")
        RENEWAL_REMINDER = "renewal_reminder", _("Uncovered renewal reminder")

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="milestones")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    due_at = models.DateTimeField(_("end it refers to"))
    days_before = models.PositiveIntegerField(
        _("days before"), default=0, help_text=_("0 for the end itself.")
    )
    handled_at = models.DateTimeField(_("handled at"))
    recipients = models.PositiveIntegerField(_("emails sent"), default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "product", "kind", "due_at", "days_before"],
                name="milestone_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.product} for {self.organization}"
