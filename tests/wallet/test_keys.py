import re

import pytest

from wallet.keys import (
    ALPHABET,
    GROUP_LENGTH,
    KEY_LENGTH,
    RANDOM_LENGTH,
    KeyFormatError,
    check_character,
    format_key,
    generate_key,
    key_digest,
    normalize,
    parse_key,
)
from wallet.models import LicenseKey

# The shared fixtures clear the cache, which lives in the database.
pytestmark = pytest.mark.django_db

KEY_PATTERN = re.compile(r"^[0-9A-HJKMNP-TV-Z]{5}(-[0-9A-HJKMNP-TV-Z]{5}){4}$")


def key_from(body: str) -> str:
    return body + check_character(body)


# Fixed keys, so that a failure names the key. The last two contain the
# neighbours 0 and Z, whose swap a Luhn mod 32 check does not detect.
TABLE_KEYS = [
    key_from("0123456789ABCDEFGHJKMNPQ"),
    key_from("ZYXWVTSRQPNMKJHGFEDCBA98"),
    key_from("Z0Z0Z0Z0Z0Z0Z0Z0Z0Z0Z0Z0"),
    key_from("00000000000000000000000Z"),
]


def substitutions(key: str):
    for position, original in enumerate(key):
        for replacement in ALPHABET:
            if replacement != original:
                yield key[:position] + replacement + key[position + 1 :]


def adjacent_swaps(key: str):
    for position in range(len(key) - 1):
        first, second = key[position], key[position + 1]
        if first != second:
            yield key[:position] + second + first + key[position + 2 :]


def assert_typo(text: str) -> None:
    with pytest.raises(KeyFormatError) as error:
        parse_key(text)
    assert error.value.code == "typo", text


def test_key_carries_120_random_bits():
    assert RANDOM_LENGTH * 5 == 120
    assert len(ALPHABET) == 32


def test_generated_key_is_grouped_with_dashes():
    key = generate_key()

    assert KEY_PATTERN.match(key), key
    assert len(key.replace("-", "")) == KEY_LENGTH == 25
    assert all(len(group) == GROUP_LENGTH for group in key.split("-"))


def test_generated_key_parses_to_itself():
    key = generate_key()

    parsed = parse_key(key)

    assert parsed.display == key
    assert parsed.normalized == key.replace("-", "")


def test_generated_keys_differ():
    keys = {generate_key() for _ in range(200)}

    assert len(keys) == 200


@pytest.mark.parametrize("key", TABLE_KEYS)
def test_every_substitution_is_a_typo(key):
    for changed in substitutions(key):
        assert_typo(changed)


@pytest.mark.parametrize("key", TABLE_KEYS)
def test_every_adjacent_swap_is_a_typo(key):
    for changed in adjacent_swaps(key):
        assert_typo(changed)


def test_substitutions_and_swaps_of_random_keys_are_typos():
    for _ in range(20):
        key = generate_key().replace("-", "")
        for changed in [*substitutions(key), *adjacent_swaps(key)]:
            assert_typo(changed)


@pytest.mark.parametrize("variant", [
    pytest.param(lambda key: key.lower(), id="lower case"),
    pytest.param(lambda key: key.replace("-", ""), id="no dashes"),
    pytest.param(lambda key: key.replace("-", " "), id="spaces for dashes"),
    pytest.param(lambda key: " ".join(key.replace("-", "")), id="space between every character"),
    pytest.param(lambda key: key.replace("-", "\n"), id="line breaks"),
    pytest.param(lambda key: key.replace("-", "\r\n") + "\n", id="windows line breaks"),
    pytest.param(lambda key: f"  \t{key}  ", id="surrounding whitespace"),
    pytest.param(lambda key: key.replace("-", "\u2013"), id="en dashes"),
    pytest.param(lambda key: key.replace("-", "\u00a0"), id="no-break spaces"),
    pytest.param(lambda key: key.replace("-", "--"), id="double dashes"),
])
def test_normalization_ignores_case_spaces_and_dashes(variant):
    key = key_from("0123456789ABCDEFGHJKMNPQ")

    assert parse_key(variant(format_key(key))).normalized == key


@pytest.mark.parametrize(("look_alike", "digit"), [("O", "0"), ("o", "0"), ("I", "1"), ("i", "1"), ("L", "1"), ("l", "1")])
def test_look_alikes_read_as_digits(look_alike, digit):
    key = key_from("0123456789ABCDEFGHJKMNPQ")
    typed = key.replace(digit, look_alike)

    assert typed != key
    assert parse_key(typed).normalized == key


@pytest.mark.parametrize("text", ["", "   ", "\n", "-----", " - - "])
def test_blank_text_is_empty(text):
    with pytest.raises(KeyFormatError) as error:
        parse_key(text)

    assert error.value.code == "empty"


@pytest.mark.parametrize("text", [
    pytest.param("ABCDE", id="too short"),
    pytest.param(key_from("0123456789ABCDEFGHJKMNPQ") + "0", id="one character too many"),
    pytest.param(key_from("0123456789ABCDEFGHJKMNPQ")[:-1], id="one character missing"),
    pytest.param("0123456789ABCDEFGHJKMNPQU", id="U is not in the alphabet"),
    pytest.param("0123456789ABCDEFGHJKMNPQ#", id="punctuation"),
    pytest.param("0123456789ABCDEFGHJKMNPQ\u00c5", id="non-ASCII letter"),
])
def test_wrong_length_or_character_is_malformed(text):
    with pytest.raises(KeyFormatError) as error:
        parse_key(text)

    assert error.value.code == "malformed"


def test_normalize_keeps_only_key_characters():
    assert normalize(" ab-cd\nef ") == "ABCDEF"


def test_key_row_stores_only_digest(product, make_keys):
    [key] = make_keys(product, 5)
    parsed = parse_key(key)

    row = LicenseKey.objects.get()

    assert row.digest == key_digest(parsed.normalized)
    assert row.last_characters == parsed.normalized[-4:]
    stored = " ".join(str(value) for value in LicenseKey.objects.values().get().values())
    for form in (key, parsed.normalized, key.lower(), parsed.normalized[:20]):
        assert form not in stored


def test_full_width_characters_are_read_as_plain():
    from wallet.keys import generate_key, parse_key

    key = generate_key()
    full_width = "".join(chr(ord(c) + 0xFEE0) if c != "-" else c for c in key)

    assert parse_key(full_width).display == key
