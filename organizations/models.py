import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(
            _("“%(value)s” is not a known time zone. Pick one from the list, "
              "for example Europe/Stockholm."),
            params={"value": value},
        )


class Organization(models.Model):
    """A customer: every trial, subscription, wallet and event belongs to one."""

    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    country = CountryField(_("country"))
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="UTC", validators=[validate_time_zone]
    )
    require_mfa = models.BooleanField(
        _("require two-factor sign-in"), default=False,
        help_text=_("Members without an authenticator app are sent to set one up first."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")

    def __str__(self) -> str:
        return self.name

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)


class Role(models.TextChoices):
    ADMIN = "admin", _("Admin")
    OPERATOR = "operator", _("Operator")
    VIEWER = "viewer", _("Viewer")


class Membership(models.Model):
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    reminders_enabled = models.BooleanField(
        _("email reminders"), default=True,
        help_text=_("Email before a trial, a grace period or an uncovered renewal ends."),
    )
    created_at = models.DateTimeField(_("joined at"), auto_now_add=True)

    class Meta:
        ordering = ["organization__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "user"], name="membership_unique_user"
            ),
        ]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")

    def __str__(self) -> str:
        return f"{self.user} in {self.organization} ({self.role})"

    @property
    def can_change(self) -> bool:
        """Whether the member may start trials, activate, redeem and set usage."""
        return self.role in {Role.ADMIN, Role.OPERATOR}


class Invitation(models.Model):
    """An offer to join an organization, sent by email to one address.

    Only the SHA-256 digest of the link's secret is stored, so a copy of
    the database cannot be used to join. An invitation is open until it is
    accepted or revoked; an open one past ``expires_at`` is expired.
    """

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField(_("email"))
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    token_digest = models.CharField(_("token digest"), max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("invited at"))
    expires_at = models.DateTimeField(_("expires at"))
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            # One open invitation per address and organization, whatever the
            # letter case; members.invite_member closes an expired one first.
            models.UniqueConstraint(
                "organization", Lower("email"),
                condition=models.Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="invitation_unique_open_email",
            ),
            models.CheckConstraint(
                condition=models.Q(accepted_at__isnull=True) | models.Q(revoked_at__isnull=True),
                name="invitation_accepted_or_revoked",
            ),
        ]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")

    def __str__(self) -> str:
        return f"{self.email} to {self.organization} ({self.role})"


class Reseller(models.Model):
    """A reseller or system integrator listed on the public "Where to buy" page."""

    class Kind(models.TextChoices):
        RESELLER = "reseller", _("Reseller")
        INTEGRATOR = "integrator", _("System integrator")

    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    country = CountryField(_("country"), db_index=True)
    city = models.CharField(_("city"), max_length=80, blank=True)
    website = models.URLField(_("website"), blank=True)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)

    class Meta:
        ordering = ["country", "name"]
        verbose_name = _("reseller")
        verbose_name_plural = _("resellers")

    def __str__(self) -> str:
        return self.name
