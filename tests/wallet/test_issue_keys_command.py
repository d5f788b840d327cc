from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from wallet.keys import key_digest, parse_key
from wallet.models import LicenseKey

pytestmark = pytest.mark.django_db


def issue(*arguments: str) -> tuple[str, str]:
    stdout, stderr = StringIO(), StringIO()
    call_command("issue_keys", *arguments, stdout=stdout, stderr=stderr)
    return stdout.getvalue(), stderr.getvalue()


def test_command_prints_only_the_keys(product):
    stdout, _ = issue("--product", product.code, "--licenses", "10", "--count", "3")

    lines = stdout.splitlines()
    assert len(lines) == 3
    assert stdout.endswith("\n")
    for line in lines:
        assert parse_key(line).display == line


def test_command_stores_digests_of_printed_keys(product):
    stdout, _ = issue("--product", product.code, "--licenses", "10", "--count", "3", "--order", "PO-2041")

    digests = {key_digest(parse_key(line).normalized) for line in stdout.splitlines()}
    keys = LicenseKey.objects.all()
    assert set(keys.values_list("digest", flat=True)) == digests
    assert {(key.product_id, key.licenses, key.order_reference) for key in keys} == {
        (product.pk, 10, "PO-2041")
    }


def test_command_reports_summary_on_stderr(product):
    _, stderr = issue("--product", product.code, "--licenses", "2", "--count", "4", "--order", "PO-7")

    assert "Issued 4 key(s) of 2 license(s) of camera-recorder for order PO-7." in stderr


def test_command_warns_about_unavailable_product(product):
    product.is_available = False
    product.save()

    stdout, stderr = issue("--product", product.code, "--licenses", "1", "--count", "1")

    assert len(stdout.splitlines()) == 1
    assert "unavailable" in stderr


@pytest.mark.parametrize(("arguments", "message"), [
    pytest.param(["--product", "no-such-product", "--licenses", "1", "--count", "1"],
                 "Unknown product 'no-such-product'. Known product codes: camera-recorder.",
                 id="unknown product"),
    pytest.param(["--product", "camera-recorder", "--licenses", "0", "--count", "1"],
                 "--licenses must be from 1 to 100000, not 0.", id="no licenses"),
    pytest.param(["--product", "camera-recorder", "--licenses", "-3", "--count", "1"],
                 "--licenses must be from 1 to 100000, not -3.", id="negative licenses"),
    pytest.param(["--product", "camera-recorder", "--licenses", "1", "--count", "0"],
                 "--count must be from 1 to 10000, not 0.", id="no keys"),
    pytest.param(["--product", "camera-recorder", "--licenses", "1", "--count", "10001"],
                 "--count must be from 1 to 10000, not 10001.", id="too many keys"),
    pytest.param(["--product", "camera-recorder", "--licenses", "1", "--count", "1", "--order", "x" * 81],
                 "--order has at most 80 characters, not 81.", id="long order reference"),
    pytest.param(["--product", "camera-recorder", "--licenses", "many", "--count", "1"],
                 "invalid int value: 'many'", id="licenses not a number"),
    pytest.param(["--licenses", "1", "--count", "1"],
                 "the following arguments are required: --product", id="product missing"),
])
def test_command_rejects_bad_arguments(product, arguments, message):
    with pytest.raises(CommandError) as error:
        issue(*arguments)

    assert message in str(error.value)
    assert not LicenseKey.objects.exists()


def test_licenses_above_limit_rejected(product):
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="from 1 to 100000"):
        call_command("issue_keys", "--product", product.code, "--licenses", "100001", "--count", "1")
