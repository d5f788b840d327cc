"""The licensing pages: Overview, Products, a product, and the steps of Activate.

Pages read through ``licensing.status`` and ``licensing.catalog``. Every
change goes through ``licensing.services`` inside ``run_once``, so a
repeated submission shows the first result instead of acting twice.
"""

import logging

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from history.idempotency import TokenReused, run_once
from organizations.access import organization_view

from . import services
from .calendar import GRACE_DAYS
from .catalog import can_activate_any, preview_activation, visible_product
from .forms import SELECT, SUMMARY, TERMS, ActivationForm, StartTrialForm, UsageForm
from .models import Product
from .results import (
    activated_message, activation_result, trial_result, trial_started_message,
    usage_changed_message, usage_result,
)
from .status import ProductState, product_states
from .timeline import overview_picture

logger = logging.getLogger(__name__)

ACTIVATION_STEPS = [
    (SELECT, _("Select software")),
    (TERMS, _("Accept terms")),
    (SUMMARY, _("Review and finish")),
]
STEP_TEMPLATES = {
    SELECT: "licensing/activate_select.html",
    TERMS: "licensing/activate_terms.html",
    SUMMARY: "licensing/activate_summary.html",
}


class ActivationRejected(Exception):
    """The Activate choices failed a check, and the form contains the errors."""


@organization_view()
@require_GET
def organization_home(request: HttpRequest) -> HttpResponse:
    return redirect("licensing:overview", slug=request.organization.slug)


@organization_view()
@require_GET
def overview(request: HttpRequest) -> HttpResponse:
    organization = request.organization
    can_activate = request.membership.can_change and can_activate_any(organization)
    now = timezone.now()
    return render(request, "licensing/overview.html", {
        "states": product_states(organization, now),
        "can_activate": can_activate,
        "picture": overview_picture(organization, now),
    })


@organization_view()
@require_GET
def products(request: HttpRequest) -> HttpResponse:
    states = {
        state.product.pk: state
        for state in product_states(request.organization, timezone.now())
    }
    catalog = Product.objects.filter(is_available=True).order_by("name", "pk")
    return render(request, "licensing/products.html", {
        "rows": [(product, states.get(product.pk)) for product in catalog],
    })


@organization_view()
@require_GET
def product(request: HttpRequest, code: str) -> HttpResponse:
    return render_product(request, visible_product(request.organization, code))


def render_product(
    request: HttpRequest, product: Product, usage_form: UsageForm | None = None
) -> HttpResponse:
    """Render a product page with the forms that the role and the state allow."""
    state = state_of_product(request, product)
    can_change = request.membership.can_change
    if usage_form is None and can_change and state is not None and state.is_activated:
        usage_form = UsageForm(initial={"usage": state.usage}, product=product)
    terms = product.current_terms()
    can_start_trial = can_change and state is None and product.is_available
    is_activated = state is not None and state.is_activated
    return render(request, "licensing/product.html", {
        "product": product,
        "terms": terms,
        "state": state,
        "trial_form": StartTrialForm() if can_start_trial else None,
        "usage_form": usage_form,
        "can_activate": (
            can_change and product.is_available and terms is not None
            and not is_activated
        ),
    })


@organization_view(change=True)
@require_POST
def start_trial(request: HttpRequest, code: str) -> HttpResponse:
    product = visible_product(request.organization, code)
    form = StartTrialForm(request.POST)
    if not form.is_valid():
        messages.error(request, form.message_for("expired", product))
        return redirect_to_product(request, product)

    try:
        result, _ran = run_once(
            token=form.cleaned_data["submission_token"],
            organization=request.organization,
            user=request.user,
            scope="start_trial",
            data={"product": product.code},
            operation=lambda: trial_result(services.start_trial(
                organization=request.organization, product=product, actor=request.user,
            )),
        )
    except services.LicensingError as error:
        logger.info("Rejected a trial of %s in organization %s: %s",
                    product.code, request.organization.pk, error.code)
        messages.error(request, form.message_for(error.code, product))
    except TokenReused:
        messages.error(request, form.message_for("token_reused", product))
    else:
        messages.success(request, trial_started_message(result))
    return redirect_to_product(request, product)


@organization_view(change=True)
@require_POST
def change_usage(request: HttpRequest, code: str) -> HttpResponse:
    organization = request.organization
    product = visible_product(organization, code)
    form = UsageForm(request.POST, product=product)
    if not form.is_valid():
        return render_product(request, product, usage_form=form)

    usage = form.cleaned_data["usage"]
    try:
        result, _ran = run_once(
            token=form.cleaned_data["submission_token"],
            organization=organization,
            user=request.user,
            scope="set_usage",
            data={"product": product.code, "usage": usage},
            operation=lambda: apply_usage(request, product, usage),
        )
    except services.LicensingError as error:
        logger.info("Rejected usage %s of %s in organization %s: %s",
                    usage, product.code, organization.pk, error.code)
        if error.code == "not_activated":
            messages.error(request, str(form.error_messages["not_activated"]) % {
                "product": product.name,
            })
            return redirect_to_product(request, product)
        form.reject(error, usage=usage)
        return render_product(request, product, usage_form=form)
    except TokenReused:
        form.reject_reused_token()
        return render_product(request, product, usage_form=form)

    messages.success(request, usage_changed_message(result))
    return redirect_to_product(request, product)


def apply_usage(request: HttpRequest, product: Product, usage: int) -> dict:
    """Set the usage and describe what it did, inside the submission's transaction."""
    organization = request.organization
    # NOTE: ``before`` is read ahead of the service's row locks, so after a
    # concurrent change the message may name an outdated old usage. The
    # History event records the values read under the locks.
    before = state_of_product(request, product)
    consumed = services.set_usage(
        organization=organization, product=product, usage=usage, actor=request.user
    )
    after = state_of_product(request, product)
    return usage_result(
        product=product, old_usage=before.usage, consumed=consumed,
        before=before, after=after,
    )


def state_of_product(request: HttpRequest, product: Product) -> ProductState | None:
    """Return the product's state now, or None when it was never tried or activated."""
    states = product_states(request.organization, timezone.now(), only=product)
    return states[0] if states else None


def redirect_to_product(request: HttpRequest, product: Product) -> HttpResponse:
    slug = request.organization.slug
    return redirect("licensing:product", slug=slug, code=product.code)


@organization_view(change=True)
@require_http_methods(["GET", "POST"])
def activate_select(request: HttpRequest) -> HttpResponse:
    """Show the first step, with the choices made so far when Back posts them."""
    form = ActivationForm(request.POST or None, organization=request.organization)
    return render_step(request, form, SELECT)


@organization_view(change=True)
@require_POST
def activate_terms(request: HttpRequest) -> HttpResponse:
    form = ActivationForm(
        request.POST, organization=request.organization, through=SELECT
    )
    if not form.is_valid():
        return render_step(request, form, SELECT)
    return render_step(request, form, TERMS)


@organization_view(change=True)
@require_POST
def activate_summary(request: HttpRequest) -> HttpResponse:
    form = ActivationForm(
        request.POST, organization=request.organization, through=TERMS
    )
    if not form.is_valid():
        return render_step(request, form, form.step_to_show())
    return render_step(request, form, SUMMARY)


@organization_view(change=True)
@require_POST
def activate_finish(request: HttpRequest) -> HttpResponse:
    """Activate the reviewed choices once per submission token.

    The checks run inside ``run_once``, after its look-up of the token, so
    a repeated Finish shows the first result although its products are
    activated by then.
    """
    organization = request.organization
    form = ActivationForm(request.POST, organization=organization, through=SUMMARY)
    token = form.submitted_token()
    if token is None:
        form.is_valid()
        return render_step(request, form, form.step_to_show())

    try:
        result, ran = run_once(
            token=token,
            organization=organization,
            user=request.user,
            scope="activate",
            data=form.submitted_choices(),
            operation=lambda: activate(request, form),
        )
    except ActivationRejected:
        return render_step(request, form, form.step_to_show())
    except services.LicensingError as error:
        return render_rejected_activation(request, error)
    except TokenReused:
        form.is_valid()
        form.reject_reused_token()
        return render_step(request, form, form.step_to_show())

    if not ran:
        logger.info(
            "Showed the stored result of a repeated activation in organization %s",
            organization.pk,
        )
    messages.success(request, activated_message(result))
    return redirect("licensing:overview", slug=organization.slug)


def activate(request: HttpRequest, form: ActivationForm) -> dict:
    if not form.is_valid():
        raise ActivationRejected
    subscriptions = services.activate_products(
        organization=request.organization,
        requests=form.activation_requests(),
        actor=request.user,
    )
    return activation_result(subscriptions)


def render_rejected_activation(
    request: HttpRequest, error: services.LicensingError
) -> HttpResponse:
    """Check the choices again against the state that made the service reject them."""
    form = ActivationForm(
        request.POST, organization=request.organization, through=SUMMARY
    )
    if form.is_valid():
        form.reject(error)
    logger.info("Activation in organization %s was rejected: %s",
                request.organization.pk, error.code)
    return render_step(request, form, form.step_to_show())


def render_step(request: HttpRequest, form: ActivationForm, step: str) -> HttpResponse:
    context = {
        "form": form, "step": step, "steps": ACTIVATION_STEPS, "grace_days": GRACE_DAYS,
    }
    if step != SELECT:
        context["choices"] = form.choices()
    if step == SUMMARY:
        context["previews"] = preview_activation(
            request.organization, context["choices"], timezone.now()
        )
    return render(request, STEP_TEMPLATES[step], context)
