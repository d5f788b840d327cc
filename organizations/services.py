from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from history.models import Event
from history.services import record_event

from .models import Membership, Organization, Role


# Paths under /orgs/ that are pages of their own, not organizations.
RESERVED_SLUGS = {"new"}


def create_organization(*, name: str, country: str, time_zone: str, creator) -> Organization:
    """Create an organization with ``creator`` as its first admin."""
    base = slugify(name)[:50] or "organization"
    if base in RESERVED_SLUGS:
        base = f"{base}-organization"
    for attempt in range(1, 100):
        slug = base if attempt == 1 else f"{base}-{attempt}"
        try:
            with transaction.atomic():
                organization = Organization.objects.create(
                    name=name, slug=slug, country=country, time_zone=time_zone
                )
                Membership.objects.create(organization=organization, user=creator, role=Role.ADMIN)
                record_event(
                    organization=organization,
                    action=Event.Action.ORGANIZATION_CREATED,
                    at=timezone.now(),
                    actor=creator,
                    details={"name": name, "country": str(country), "time_zone": time_zone},
                )
                return organization
        except IntegrityError:
            # The slug is taken; try the next suffix.
            continue
    raise RuntimeError(f"No free slug for organization name {name!r}")


def set_reminders(*, membership: Membership, enabled: bool) -> bool:
    """Turn the member's reminder emails on or off; return whether anything changed."""
    with transaction.atomic():
        membership = Membership.objects.select_for_update().get(pk=membership.pk)
        if membership.reminders_enabled == enabled:
            return False
        membership.reminders_enabled = enabled
        membership.save(update_fields=["reminders_enabled"])
        record_event(
            organization=membership.organization,
            action=Event.Action.REMINDERS_CHANGED,
            at=timezone.now(),
            actor=membership.user,
            details={"enabled": enabled},
        )
    return True
