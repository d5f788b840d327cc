"""The licensing models in the Django admin: the catalog is edited, records are only shown."""

import datetime
from http import HTTPStatus

import pytest
from django.test import Client
from django.urls import reverse

from licensing.models import Product, Terms, Trial
from licensing.services import start_trial

pytestmark = pytest.mark.django_db


@pytest.fixture
def ops_client(make_user):
    client = Client()
    user = make_user("ops@example.com")
    user.is_staff = True
    user.is_superuser = True
    user.save()
    client.force_login(user)
    return client


@pytest.fixture
def records(organization, admin_user, product, make_product, activate):
    """A trial of one product and a subscription, with its acceptance, of another."""
    start_trial(organization=organization, product=make_product("door-station"), actor=admin_user)
    return activate(organization, product, 3, admin_user)


@pytest.mark.parametrize("model", ["product", "terms", "trial", "subscription", "termsacceptance"])
def test_change_lists_open(ops_client, records, model):
    response = ops_client.get(reverse(f"admin:licensing_{model}_changelist"))

    assert response.status_code == HTTPStatus.OK


@pytest.mark.parametrize("model", ["product", "terms", "trial", "subscription", "termsacceptance"])
def test_change_pages_open(ops_client, records, model):
    obj = {
        "product": records.product,
        "terms": records.product.current_terms(),
        "trial": Trial.objects.get(),
        "subscription": records,
        "termsacceptance": records.terms_acceptances.get(),
    }[model]

    response = ops_client.get(reverse(f"admin:licensing_{model}_change", args=[obj.pk]))

    assert response.status_code == HTTPStatus.OK


@pytest.mark.parametrize("model", ["trial", "subscription", "termsacceptance"])
def test_records_are_read_only(ops_client, records, model):
    url = reverse(f"admin:licensing_{model}_changelist")

    response = ops_client.get(url)

    assert response.context["has_add_permission"] is False
    assert not response.context["cl"].model_admin.has_change_permission(response.wsgi_request)
    assert not response.context["cl"].model_admin.has_delete_permission(response.wsgi_request)


def test_subscription_shows_licensed_units_read_only(ops_client, records):
    url = reverse("admin:licensing_subscription_change", args=[records.pk])

    response = ops_client.get(url)

    assert response.status_code == HTTPStatus.OK
    assert "Licensed units" in response.text
    assert 'name="periods-0-licensed_units"' not in response.text
    assert 'name="usage"' not in response.text


def test_subscription_cannot_be_posted(ops_client, records):
    url = reverse("admin:licensing_subscription_change", args=[records.pk])

    response = ops_client.post(url, {"usage": "99"})

    records.refresh_from_db()
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert records.usage == 3


def test_product_added_with_terms(ops_client):
    response = ops_client.post(reverse("admin:licensing_product_add"), {
        "code": "audio-manager",
        "name": "Audio Manager",
        "unit": "speaker",
        "unit_plural": "speakers",
        "trial_days": "30",
        "description": "",
        "is_available": "on",
        "terms-TOTAL_FORMS": "1",
        "terms-INITIAL_FORMS": "0",
        "terms-MIN_NUM_FORMS": "0",
        "terms-MAX_NUM_FORMS": "1000",
        "terms-0-version": "1.0",
        "terms-0-published_at_0": "2026-12-04",
        "terms-0-published_at_1": "09:00:00",
        "terms-0-text": "Terms of Audio Manager.",
    })

    assert response.status_code == HTTPStatus.FOUND
    product = Product.objects.get(code="audio-manager")
    assert product.current_terms().version == "1.0"


def test_published_terms_are_not_edited(ops_client, product):
    terms = product.current_terms()
    url = reverse("admin:licensing_terms_change", args=[terms.pk])

    response = ops_client.post(url, {"text": "Rewritten."})

    terms.refresh_from_db()
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert terms.text == "Terms of camera-recorder."


def test_product_code_fixed_after_creation(ops_client, product):
    url = reverse("admin:licensing_product_change", args=[product.pk])

    response = ops_client.get(url)

    assert 'name="code"' not in response.text
    assert 'name="name"' in response.text


def test_new_terms_version_added_to_product(ops_client, product):
    url = reverse("admin:licensing_product_change", args=[product.pk])
    current = product.current_terms()
    published = current.published_at + datetime.timedelta(days=1)

    response = ops_client.post(url, {
        "name": product.name,
        "unit": product.unit,
        "unit_plural": product.unit_plural,
        "trial_days": "30",
        "description": product.description,
        "is_available": "on",
        "terms-TOTAL_FORMS": "2",
        "terms-INITIAL_FORMS": "1",
        "terms-MIN_NUM_FORMS": "0",
        "terms-MAX_NUM_FORMS": "1000",
        "terms-0-id": str(current.pk),
        "terms-0-product": str(product.pk),
        "terms-1-product": str(product.pk),
        "terms-1-version": "2.0",
        "terms-1-published_at_0": published.strftime("%Y-%m-%d"),
        "terms-1-published_at_1": published.strftime("%H:%M:%S"),
        "terms-1-text": "New terms.",
    })

    assert response.status_code == HTTPStatus.FOUND
    assert Terms.objects.filter(product=product).count() == 2
    assert product.current_terms().version == "2.0"
    current.refresh_from_db()
    assert current.text == "Terms of camera-recorder."
