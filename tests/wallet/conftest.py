import uuid

import pytest

from licensing.services import ActivationRequest, activate_products


@pytest.fixture
def activate():
    """Activate a product with a usage, as its admin would, and return the subscription."""

    def activate_product(organization, product, usage, actor):
        return activate_products(
            organization=organization,
            requests=[ActivationRequest(product=product, usage=usage, terms=product.current_terms())],
            actor=actor,
        )[0]

    return activate_product


@pytest.fixture
def member_client(client, request):
    """A client signed in as the user fixture named by the test's ``role`` parameter."""

    def sign_in(fixture_name: str):
        client.force_login(request.getfixturevalue(fixture_name))
        return client

    return sign_in


def redeem_data(key: str, token: uuid.UUID | None = None) -> dict:
    return {"key": key, "submission_token": str(token or uuid.uuid4())}
