import pytest
from django.contrib.auth.models import Group, Permission

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_user(make_user):
    user = make_user("staff@example.com")
    user.is_staff = True
    user.save()
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_user", "change_user", "view_group", "change_group"])
    )
    return user


def user_form(user, **changes):
    data = {
        "username": user.username,
        "email": user.email,
        "first_name": "Sam",
        "last_name": "Staff",
        "is_active": "on",
        "is_staff": "on",
        "last_login_0": "",
        "last_login_1": "",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
    }
    data.update(changes)
    return data


def test_staff_cannot_make_themselves_superuser(client, staff_user):
    client.force_login(staff_user)

    response = client.post(
        f"/admin/auth/user/{staff_user.pk}/change/",
        user_form(staff_user, is_superuser="on",
                  user_permissions=[str(p.pk) for p in Permission.objects.all()[:5]]),
    )
    staff_user.refresh_from_db()

    assert response.status_code == 302
    assert staff_user.first_name == "Sam"
    assert staff_user.is_superuser is False
    assert staff_user.user_permissions.count() == 4


def test_staff_cannot_change_groups(client, staff_user):
    group = Group.objects.create(name="Support")
    staff_user.groups.add(group)
    client.force_login(staff_user)

    response = client.post(
        f"/admin/auth/group/{group.pk}/change/",
        {"name": "Support", "permissions": [str(p.pk) for p in Permission.objects.all()]},
    )

    assert response.status_code == 403
    assert group.permissions.count() == 0


def test_superuser_grants_permissions(client, make_user, staff_user):
    superuser = make_user("root@example.com")
    superuser.is_staff = superuser.is_superuser = True
    superuser.save()
    client.force_login(superuser)

    client.post(f"/admin/auth/user/{staff_user.pk}/change/", user_form(staff_user, is_superuser="on"))
    staff_user.refresh_from_db()

    assert staff_user.is_superuser is True


def test_admin_sign_in_goes_through_accounts(client):
    response = client.get("/admin/login/?next=/admin/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_admin_refuses_signed_in_non_staff(client, make_user):
    client.force_login(make_user())

    response = client.get("/admin/login/?next=/admin/")

    assert response.status_code == 403
