import pytest

pytestmark = pytest.mark.django_db


def test_viewer_sees_why_action_is_not_allowed(client, viewer_user, organization):
    client.force_login(viewer_user)

    response = client.get(f"/orgs/{organization.slug}/activate/")

    assert response.status_code == 403
    assert "Your role in this organization does not allow this action" in response.content.decode()


def test_unknown_page_explains_itself(client, admin_user):
    client.force_login(admin_user)

    response = client.get("/orgs/no-such-organization/overview/")

    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_opening_a_form_target_explains_itself(client, admin_user, organization):
    client.force_login(admin_user)

    response = client.get(f"/orgs/{organization.slug}/wallet/redeem/confirm/")

    assert response.status_code == 405
    assert "only receives forms" in response.content.decode()
    assert "POST" in response["Allow"]
