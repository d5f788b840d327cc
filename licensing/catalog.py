"""The products that an organization can see, try and activate now."""

import datetime
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Prefetch, Q
from django.http import Http404

from organizations.models import Organization

from .calendar import grace_end
from .models import Product, Subscription, Terms, Trial


@dataclass(frozen=True)
class Activatable:
    """A product that the organization can activate, with its current terms."""

    product: Product
    terms: Terms


def activatable_products(organization: Organization) -> list[Activatable]:
    """Return the available products with terms that the organization has not activated.

    Current terms are the newest by publication, as ``Product.current_terms``
    picks them, but read for every product in one query.
    """
    products = (
        Product.objects.filter(is_available=True)
        .exclude(subscriptions__organization=organization)
        .prefetch_related(
            Prefetch("terms", queryset=Terms.objects.order_by("-published_at", "-pk"))
        )
        .order_by("name", "pk")
    )
    return [
        Activatable(product=product, terms=product.terms.all()[0])
        for product in products
        if product.terms.all()
    ]


def can_activate_any(organization: Organization) -> bool:
    return (
        Product.objects.filter(is_available=True, terms__isnull=False)
        .exclude(subscriptions__organization=organization)
        .exists()
    )


def visible_product(organization: Organization, code: str) -> Product:
    """Return the product with ``code`` that the organization may open, or 404.

    An unavailable product stays visible to organizations that tried or
    activated it, so that they can still follow and manage it.
    """
    scope = {"organization": organization, "product": OuterRef("pk")}
    tried = Trial.objects.filter(**scope)
    activated = Subscription.objects.filter(**scope)
    in_use = Q(Exists(tried)) | Q(Exists(activated))
    product = Product.objects.filter(Q(is_available=True) | in_use, code=code).first()
    if product is None:
        raise Http404("No product matches the given code.")
    return product


@dataclass(frozen=True)
class ActivationPreview:
    """The outcome of activating one product now."""

    product: Product
    usage: int
    terms: Terms
    wallet: int
    trial_ends_at: datetime.datetime | None
    grace_ends_at: datetime.datetime | None

    @property
    def licensed_at_once(self) -> bool:
        return self.grace_ends_at is None


def preview_activation(
    organization: Organization, choices: list, now: datetime.datetime
) -> list[ActivationPreview]:
    """Say what activating each choice would do now, changing nothing.

    Activation consumes the whole usage from the wallet when the wallet
    contains enough, and otherwise consumes nothing and starts the grace
    period, as ``licensing.services.activate_products`` does. ``choices``
    have ``product``, ``usage`` and ``terms``.
    """
    from wallet.models import WalletBalance

    products = [choice.product for choice in choices]
    wallets = dict(
        WalletBalance.objects.filter(organization=organization, product__in=products)
        .values_list("product_id", "licenses")
    )
    trial_ends = dict(
        Trial.objects.filter(
            organization=organization, product__in=products, ends_at__gt=now
        )
        .values_list("product_id", "ends_at")
    )
    grace_ends_at = grace_end(now, organization.tzinfo)
    previews = []
    for choice in choices:
        wallet = wallets.get(choice.product.pk, 0)
        previews.append(ActivationPreview(
            product=choice.product,
            usage=choice.usage,
            terms=choice.terms,
            wallet=wallet,
            trial_ends_at=trial_ends.get(choice.product.pk),
            grace_ends_at=None if wallet >= choice.usage else grace_ends_at,
        ))
    return previews
