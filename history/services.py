import datetime

from django.db import transaction

from .models import Event


def actor_name_of(user) -> str:
    full_name = user.get_full_name().strip()
    return f"{full_name} <{user.email}>" if full_name else user.email


def record_event(
    *,
    organization,
    action: str,
    at: datetime.datetime,
    actor=None,
    actor_kind: str = Event.ActorKind.PERSON,
    product=None,
    details: dict | None = None,
) -> Event:
    """Write one History event; callers do it inside the transaction of the change.

    The event is evidence of the change, so writing it outside a
    transaction, where the change could commit without it, is a bug.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("History events are written inside the change's transaction.")

    if actor is not None:
        name = actor_name_of(actor)
    elif actor_kind == Event.ActorKind.SYSTEM:
        name = "System"
    else:
        name = str(Event.ActorKind(actor_kind).label)

    return Event.objects.create(
        organization=organization,
        occurred_at=at,
        action=action,
        actor_kind=actor_kind,
        actor=actor,
        actor_name=name,
        product=product,
        details={**(details or {}), **({"product_name": product.name} if product else {})},
    )
