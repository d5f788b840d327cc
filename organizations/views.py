from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models.functions import Lower
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django_countries import countries

from history.idempotency import TokenReused, run_once

from .access import organization_view
from .forms import OrganizationForm
from .models import Membership, Reseller
from .services import create_organization as create_organization_service
from .services import set_reminders


def home(request):
    if request.user.is_authenticated:
        return redirect("organizations:select")
    return render(request, "organizations/home.html")


@login_required
def select_organization(request):
    memberships = (
        Membership.objects.filter(user=request.user)
        .select_related("organization")
        .order_by(Lower("organization__name"), "organization__slug")
    )
    return render(request, "organizations/select.html", {"memberships": memberships})


@login_required
@require_http_methods(["GET", "POST"])
def create_organization(request):
    form = OrganizationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        fields = {name: str(form.cleaned_data[name]) for name in ("name", "country", "time_zone")}
        try:
            result, _ran = run_once(
                token=form.cleaned_data["submission_token"],
                organization=None,
                user=request.user,
                scope="create_organization",
                data=fields,
                operation=lambda: {"slug": create_organization_service(
                    **fields, creator=request.user
                ).slug},
            )
        except TokenReused:
            form.add_error(None, _(
                "This form was already submitted with other values. Check the list of "
                "your organizations before creating another."
            ))
        else:
            # A replay of the same submission lands on the organization it created.
            return redirect("licensing:overview", slug=result["slug"])
    return render(request, "organizations/create.html", {"form": form})


def where_to_buy(request):
    """List resellers and system integrators, for one country at a time."""
    country = request.GET.get("country", "").upper()
    if country and country not in countries:
        country = ""
    listed = dict.fromkeys(Reseller.objects.values_list("country", flat=True).order_by("country"))
    resellers = Reseller.objects.filter(country=country) if country else Reseller.objects.none()
    return render(request, "organizations/where_to_buy.html", {
        "country": country,
        "country_name": countries.name(country) if country else "",
        "countries": [(code, countries.name(code)) for code in listed],
        "resellers": resellers,
        "vendor_sales_url": settings.VENDOR_SALES_URL,
    })


@organization_view()
@require_POST
def change_reminders(request):
    """Turn the signed-in member's reminder emails for this organization on or off.

    Every member may do this, viewers included: it changes only their own mail.
    """
    enabled = request.POST.get("enabled") == "1"
    if set_reminders(membership=request.membership, enabled=enabled):
        if enabled:
            text = _("Email reminders for %(name)s are on.")
        else:
            text = _("Email reminders for %(name)s are off.")
        messages.success(request, text % {"name": request.organization.name})
    return redirect("organizations:select")
