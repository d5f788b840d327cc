"""License key format: 120 random bits in Crockford base32 plus a check character.

A key reads ``XXXXX-XXXXX-XXXXX-XXXXX-XXXXC``: 24 random characters of
5 bits each and one check character, which catches every single mistyped
character and every swap of two characters. Input is normalized
before it is checked: letter case, spaces, dashes and line breaks do not
matter, and the look-alikes O, I and L read as 0, 1 and 1. Keys are stored
only as their SHA-256 digest; at 120 random bits a digest cannot be
reversed by guessing, so it needs no secret salt.
"""

import hashlib
import secrets
import unicodedata
from dataclasses import dataclass

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
RANDOM_LENGTH = 24
GROUP_LENGTH = 5
KEY_LENGTH = RANDOM_LENGTH + 1

_LOOK_ALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})
_IGNORED = str.maketrans("", "", " -\t\r\n\u00a0\u2010\u2011\u2012\u2013\u2014")


class KeyFormatError(ValueError):
    """The text cannot be a license key; ``code`` says why."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class ParsedKey:
    normalized: str

    @property
    def digest(self) -> str:
        return key_digest(self.normalized)

    @property
    def display(self) -> str:
        return format_key(self.normalized)

    @property
    def last_characters(self) -> str:
        return self.normalized[-4:]


def generate_key() -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(RANDOM_LENGTH))
    return format_key(body + check_character(body))


def format_key(normalized: str) -> str:
    return "-".join(
        normalized[i : i + GROUP_LENGTH] for i in range(0, len(normalized), GROUP_LENGTH)
    )


def normalize(text: str) -> str:
    # NFKC turns full-width letters and digits, as some keyboards type
    # them, into their plain forms.
    text = unicodedata.normalize("NFKC", text)
    return text.upper().translate(_IGNORED).translate(_LOOK_ALIKES)


def parse_key(text: str) -> ParsedKey:
    """Normalize ``text`` and check its form and check character.

    Raises ``KeyFormatError`` with code ``empty``, ``malformed`` (wrong
    length or a character no key contains) or ``typo`` (the check character
    does not match).
    """
    normalized = normalize(text or "")
    if not normalized:
        raise KeyFormatError("empty")
    if len(normalized) != KEY_LENGTH or any(c not in ALPHABET for c in normalized):
        raise KeyFormatError("malformed")
    if check_character(normalized[:-1]) != normalized[-1]:
        raise KeyFormatError("typo")
    return ParsedKey(normalized)


def key_digest(normalized: str) -> str:
    return hashlib.sha256(normalized.encode("ascii")).hexdigest()


def check_character(body: str) -> str:
    """Return the character that makes the weighted sum of the key zero in GF(32).

    Character i (its value in ``ALPHABET``) is weighted by x**i in GF(2**5)
    modulo the primitive polynomial x**5 + x**2 + 1, so the weights of up to
    31 positions are distinct and non-zero. A wrong character then changes
    the sum by weight × error, never zero, and a swap of two different
    characters by (weight_i + weight_j) × (a + b), never zero either. The
    Luhn mod 32 scheme misses the swap of 0 and Z, which this one catches.
    """
    total = 0
    for position, char in enumerate(body):
        total ^= _multiply(_weight(position), ALPHABET.index(char))
    check_weight = _weight(len(body))
    for value in range(len(ALPHABET)):
        if _multiply(check_weight, value) == total:
            return ALPHABET[value]
    raise AssertionError("every non-zero weight has an inverse in GF(32)")


_FIELD_POLYNOMIAL = 0b100101  # x**5 + x**2 + 1


def _multiply(a: int, b: int) -> int:
    """Multiply two elements of GF(32), each a 5-bit polynomial over GF(2)."""
    product = 0
    while b:
        if b & 1:
            product ^= a
        b >>= 1
        a <<= 1
        if a & 0b100000:
            a ^= _FIELD_POLYNOMIAL
    return product


def _weight(position: int) -> int:
    weight = 1
    for _ in range(position):
        weight = _multiply(weight, 0b10)
    return weight
