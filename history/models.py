from django.conf import settings
from django.db import models
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _, ngettext

from licensemgr.formatting import format_instant
from organizations.models import Organization, Role


class AppendOnlyError(Exception):
    """History events are evidence: they are never changed or deleted."""


class EventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("History events cannot be updated.")

    def delete(self):
        raise AppendOnlyError("History events cannot be deleted.")


class Event(models.Model):
    """One action of a person, of installed software or of the scheduler."""

    class Action(models.TextChoices):
        ORGANIZATION_CREATED = "organization_created", _("Organization created")
        ORGANIZATION_CHANGED = "organization_changed", _("Organization corrected by staff")
        TRIAL_STARTED = "trial_started", _("Trial started")
        ACTIVATED = "activated", _("Activated, terms accepted")
        KEY_REDEEMED = "key_redeemed", _("License key redeemed")
        USAGE_CHANGED = "usage_changed", _("Usage changed")
        LICENSES_CONSUMED = "licenses_consumed", _("Licenses consumed")
        WALLET_CORRECTED = "wallet_corrected", _("Wallet corrected by staff")
        RENEWED = "renewed", _("Subscription renewed")
        TRIAL_ENDED = "trial_ended", _("Trial ended")
        GRACE_ENDED = "grace_ended", _("Grace period ended")
        REMINDER_SENT = "reminder_sent", _("Reminder sent")
        REMINDERS_CHANGED = "reminders_changed", _("Reminder setting changed")
        MEMBER_INVITED = "member_invited", _("Member invited")
        INVITATION_REVOKED = "invitation_revoked", _("Invitation revoked")
        MEMBER_JOINED = "member_joined", _("Member joined")
        ROLE_CHANGED = "role_changed", _("Role changed")
        MEMBER_REMOVED = "member_removed", _("Member removed")
        MEMBER_LEFT = "member_left", _("Member left")
        MFA_REQUIREMENT_CHANGED = "mfa_requirement_changed", _("Two-factor requirement changed")

    class ActorKind(models.TextChoices):
        PERSON = "person", _("Person")
        SOFTWARE = "software", _("Installed software")
        SYSTEM = "system", _("System")

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="events")
    occurred_at = models.DateTimeField(_("when"), db_index=True)
    action = models.CharField(_("action"), max_length=32, choices=Action.choices)
    actor_kind = models.CharField(_("actor kind"), max_length=16, choices=ActorKind.choices)
    # No database constraint: deleting an account must not rewrite its
    # events, so actor_id keeps the id it had and actor_name the name.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.DO_NOTHING,
        db_constraint=False, related_name="+",
    )
    actor_name = models.CharField(_("who"), max_length=254)
    product = models.ForeignKey(
        "licensing.Product", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    details = models.JSONField(_("details"), default=dict, blank=True)

    objects = EventQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_at", "-pk"]
        # event_org_time serves History without filters or by dates, and each
        # other index one filter. All end in the page's order (occurred_at, id)
        # descending, so a page is read from an index in order, and the keyset
        # cursor bounds the scan.
        indexes = [
            models.Index(fields=["organization", "-occurred_at", "-id"], name="event_org_time"),
            models.Index(
                fields=["organization", "action", "-occurred_at", "-id"], name="event_org_action_time"
            ),
            models.Index(
                fields=["organization", "product", "-occurred_at", "-id"],
                name="event_org_product_time",
            ),
            models.Index(
                fields=["organization", "actor", "-occurred_at", "-id"], name="event_org_actor_time"
            ),
        ]
        verbose_name = _("event")
        verbose_name_plural = _("events")

    def __str__(self) -> str:
        return f"{self.get_action_display()} by {self.actor_name}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("History events cannot be updated.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("History events cannot be deleted.")

    def summary(self) -> str:
        """Describe what happened, in the reader's language."""
        if self.action in MEMBERSHIP_ACTIONS:
            return _membership_text(self.action, self.details)
        describe = _SUMMARIES.get(self.action)
        if describe is None:
            return self.get_action_display()
        return describe(self.details, self.details.get("product_name", ""))

MEMBERSHIP_ACTIONS = {
    Event.Action.MEMBER_INVITED,
    Event.Action.INVITATION_REVOKED,
    Event.Action.MEMBER_JOINED,
    Event.Action.ROLE_CHANGED,
    Event.Action.MEMBER_REMOVED,
    Event.Action.MEMBER_LEFT,
    Event.Action.MFA_REQUIREMENT_CHANGED,
}


def _role_label(code: str | None) -> str:
    return str(Role(code).label) if code in Role.values else (code or "")


def _membership_text(action: str, details: dict) -> str:
    values = {
        "email": details.get("email", ""),
        "role": _role_label(details.get("role")),
        "old": _role_label(details.get("old_role")),
        "new": _role_label(details.get("new_role")),
    }
    if action == Event.Action.MEMBER_INVITED:
        return _("Invited %(email)s as %(role)s.") % values
    if action == Event.Action.INVITATION_REVOKED:
        return _("Revoked the invitation of %(email)s as %(role)s.") % values
    if action == Event.Action.MEMBER_JOINED:
        return _("Joined as %(role)s, invited as %(email)s.") % values
    if action == Event.Action.ROLE_CHANGED:
        return _("Changed the role of %(email)s from %(old)s to %(new)s.") % values
    if action == Event.Action.MEMBER_REMOVED:
        return _("Removed %(email)s, who was %(role)s, from the organization.") % values
    if action == Event.Action.MEMBER_LEFT:
        return _("Left the organization, as %(role)s.") % values
    if details.get("enabled"):
        return _("Turned on the requirement of two-factor sign-in for every member.")
    return _("Turned off the requirement of two-factor sign-in.")


ORGANIZATION_FIELD_LABELS = {
    "name": _("name"),
    "country": _("country"),
    "time_zone": _("time zone"),
}


def _organization_changes_text(changes: dict) -> str:
    return " ".join(
        _("Changed the %(field)s from “%(old)s” to “%(new)s”.") % {
            "field": ORGANIZATION_FIELD_LABELS.get(field, field), "old": old, "new": new,
        }
        for field, (old, new) in changes.items()
    )


def _consumption_text(details: dict) -> str:
    consumed = details.get("consumed", 0)
    stored = details.get("stored", 0)
    parts = []
    if consumed:
        parts.append(ngettext(
            "%(count)s license consumed.", "%(count)s licenses consumed.", consumed
        ) % {"count": consumed})
    if stored:
        parts.append(ngettext(
            "%(count)s license stored in the Wallet.",
            "%(count)s licenses stored in the Wallet.", stored,
        ) % {"count": stored})
    grace_end = parse_datetime(details.get("grace_ends_at") or "")
    if grace_end:
        parts.append(_("Grace period until %(end)s.") % {"end": format_instant(grace_end)})
    return " ".join(parts)


class Submission(models.Model):
    """A state-changing request already carried out, found again by its token.

    Forms and API calls carry a token made when the form was shown. A
    replay of the token (a double click, back-and-resubmit, a retried
    request) gets the stored result instead of acting again.
    """

    token = models.UUIDField(_("token"), unique=True)
    # None for a request that creates the organization itself.
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE,
        related_name="+",
    )
    fingerprint = models.CharField(_("fingerprint"), max_length=64)
    result = models.JSONField(_("result"), default=dict)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("submission")
        verbose_name_plural = _("submissions")



def _with_consumption(text: str, details: dict) -> str:
    return " ".join([text, _consumption_text(details)]).strip()


def _activated_text(d: dict, product: str) -> str:
    text = _(
        "Activated %(product)s and accepted its terms, version %(version)s, "
        "with a usage of %(usage)s."
    ) % {"product": product, "version": d.get("terms_version"), "usage": d.get("usage")}
    return _with_consumption(text, d)


def _key_redeemed_text(d: dict, product: str) -> str:
    text = ngettext(
        "Redeemed license key …%(last)s with %(count)s license of %(product)s.",
        "Redeemed license key …%(last)s with %(count)s licenses of %(product)s.",
        d.get("licenses", 0),
    ) % {"last": d.get("key_end", ""), "count": d.get("licenses"), "product": product}
    return _with_consumption(text, d)


def _usage_changed_text(d: dict, product: str) -> str:
    text = _("Changed the usage of %(product)s from %(old)s to %(new)s.") % {
        "product": product, "old": d.get("old_usage"), "new": d.get("new_usage"),
    }
    return _with_consumption(text, d)


def _renewed_text(d: dict, product: str) -> str:
    text = _("Renewed %(product)s for year %(number)s at a usage of %(usage)s.") % {
        "product": product, "number": d.get("period_number"), "usage": d.get("usage"),
    }
    if not d.get("consumed") and d.get("usage"):
        text = " ".join([text, _("The Wallet could not cover the renewal.")])
    return _with_consumption(text, d)


def _grace_ended_text(d: dict, product: str) -> str:
    return ngettext(
        "The grace period of %(product)s ended with %(count)s license missing: "
        "it is unlicensed.",
        "The grace period of %(product)s ended with %(count)s licenses missing: "
        "it is unlicensed.",
        d.get("shortfall", 0),
    ) % {"product": product, "count": d.get("shortfall")}


def _reminder_sent_text(d: dict, product: str) -> str:
    return ngettext(
        "Emailed %(count)s admin: %(subject)s",
        "Emailed %(count)s admins: %(subject)s",
        d.get("recipients", 0),
    ) % {"count": d.get("recipients"), "subject": d.get("subject", "")}


def _reminders_changed_text(d: dict, product: str) -> str:
    if d.get("enabled"):
        return _("Turned email reminders on.")
    return _("Turned email reminders off.")


def _wallet_corrected_text(d: dict, product: str) -> str:
    text = _("Corrected the Wallet's %(product)s licenses by %(change)+d: %(reason)s") % {
        "product": product, "change": d.get("change", 0), "reason": d.get("reason", ""),
    }
    return _with_consumption(text, d)


# The sentence of each action, from the event's details and product name.
_SUMMARIES = {
    Event.Action.ORGANIZATION_CREATED: lambda d, product: (
        _("Created the organization %(name)s.") % {"name": d.get("name", "")}
    ),
    Event.Action.ORGANIZATION_CHANGED: lambda d, product: (
        _organization_changes_text(d.get("changes", {}))
    ),
    Event.Action.TRIAL_STARTED: lambda d, product: (
        _("Started a %(days)s-day trial of %(product)s.")
        % {"days": d.get("trial_days"), "product": product}
    ),
    Event.Action.ACTIVATED: _activated_text,
    Event.Action.KEY_REDEEMED: _key_redeemed_text,
    Event.Action.USAGE_CHANGED: _usage_changed_text,
    Event.Action.LICENSES_CONSUMED: lambda d, product: _consumption_text(d),
    Event.Action.RENEWED: _renewed_text,
    Event.Action.TRIAL_ENDED: lambda d, product: (
        _("The trial of %(product)s ended.") % {"product": product}
    ),
    Event.Action.GRACE_ENDED: _grace_ended_text,
    Event.Action.REMINDER_SENT: _reminder_sent_text,
    Event.Action.REMINDERS_CHANGED: _reminders_changed_text,
    Event.Action.WALLET_CORRECTED: _wallet_corrected_text,
}
