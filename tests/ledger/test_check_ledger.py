import pytest
from django.core.management import call_command
from django.db import connection

from licensing.services import ActivationRequest, activate_products
from wallet.services import redeem_key

pytestmark = pytest.mark.django_db


@pytest.fixture
def busy_ledger(organization, admin_user, product, make_keys):
    activate_products(
        organization=organization,
        requests=[ActivationRequest(product=product, usage=3, terms=product.current_terms())],
        actor=admin_user,
    )
    for key in make_keys(product, 5, count=2):
        redeem_key(organization=organization, key_text=key, actor=admin_user)
    return organization


def run_check_ledger(capsys) -> tuple[int, str]:
    try:
        call_command("check_ledger")
        code = 0
    except SystemExit as exit:
        code = exit.code
    return code, capsys.readouterr().out


def test_check_ledger_passes_consistent_data(busy_ledger, capsys):
    code, output = run_check_ledger(capsys)

    assert code == 0
    assert "consistent" in output


@pytest.mark.parametrize(
    ("sql", "rule"),
    [
        ("UPDATE wallet_walletbalance SET licenses = licenses + 5", "rule 1"),
        ("UPDATE wallet_ledgerentry SET change = change + 1 WHERE kind = 'redeemed'", "rule 1"),
        ("UPDATE licensing_subscriptionperiod SET licensed_units = licensed_units + 2", "rule 3"),
        ("UPDATE wallet_licensekey SET redeemed_by_id = NULL, redeemed_at = NULL", "rule 2"),
        ("UPDATE wallet_licensekey SET licenses = licenses + 1", "rule 2"),
    ],
)
def test_check_ledger_finds_planted_violation(busy_ledger, capsys, sql, rule):
    with connection.cursor() as cursor:
        cursor.execute(sql)

    code, output = run_check_ledger(capsys)

    assert code == 1
    assert rule in output


def test_check_ledger_finds_change_without_event(busy_ledger, admin_user, product, capsys):
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO wallet_ledgerentry "
            "(organization_id, product_id, kind, change, balance_after, created_at, note) "
            "VALUES (%s, %s, 'correction', 1, 8, CURRENT_TIMESTAMP, 'planted')",
            [busy_ledger.pk, product.pk],
        )
        cursor.execute("UPDATE wallet_walletbalance SET licenses = licenses + 1")

    code, output = run_check_ledger(capsys)

    assert code == 1
    assert "rule 4" in output
    assert "no History event" in output
