"""Personal data at rest: AES-256-GCM encryption with a key ring, blind index, masking.

Ciphertext is stored as ``<key id>:<base64(nonce || ciphertext+tag)>``; the key id lets keys
rotate (new writes use PII_ACTIVE_KEY_ID, old rows stay readable until re-encrypted with
``manage.py rotate_pii_keys``). The purpose (e.g. ``trainee.id_number``) is bound as
associated data so a value cannot be copied from one column to another.
The blind index is HMAC-SHA256 over the purpose and the normalised value: equal values give
equal hashes, so lookups and unique constraints work without storing the plain value.
"""

import base64
import binascii
import hmac
import os
from collections.abc import Callable, Sequence
from functools import lru_cache

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

NONCE_BYTES = 12


class DecryptionError(Exception):
    """Raised when a stored value cannot be decrypted (unknown key id or tampered data)."""


def _key_ring() -> dict[str, bytes]:
    ring = settings.PII_ENCRYPTION_KEYS
    if not ring or settings.PII_ACTIVE_KEY_ID not in ring:
        raise ImproperlyConfigured(
            "PII_ENCRYPTION_KEYS must contain PII_ACTIVE_KEY_ID."
        )
    for kid, key in ring.items():
        if len(key) != 32:
            raise ImproperlyConfigured(f"PII key {kid!r} must be 32 bytes (AES-256).")
    return ring


@lru_cache(maxsize=32)
def _cipher(key: bytes) -> AESGCM:
    # Keyed by the key itself, so a changed key ring (rotation, tests) never hits a
    # stale entry; AESGCM objects hold no per-message state.
    return AESGCM(key)


def encrypt(plain: str, *, purpose: str) -> str:
    ring = _key_ring()
    kid = settings.PII_ACTIVE_KEY_ID
    nonce = os.urandom(NONCE_BYTES)
    sealed = _cipher(ring[kid]).encrypt(nonce, plain.encode(), purpose.encode())
    return f"{kid}:{base64.b64encode(nonce + sealed).decode()}"


def encrypt_bytes(data: bytes, *, purpose: str) -> bytes:
    """Encrypt a whole file (e.g. an uploaded roster) for storage: ``kid:`` + nonce + ct."""
    kid = settings.PII_ACTIVE_KEY_ID
    nonce = os.urandom(NONCE_BYTES)
    sealed = _cipher(_key_ring()[kid]).encrypt(nonce, data, purpose.encode())
    return kid.encode() + b":" + nonce + sealed


def decrypt_bytes(stored: bytes, *, purpose: str) -> bytes:
    kid, sep, body = stored.partition(b":")
    key = _key_ring().get(kid.decode(errors="replace"))
    if not sep or key is None:
        raise DecryptionError("unknown PII key id")
    try:
        return _cipher(key).decrypt(
            body[:NONCE_BYTES], body[NONCE_BYTES:], purpose.encode()
        )
    except Exception as exc:
        raise DecryptionError("PII file failed authentication") from exc


def key_id_of(stored: str) -> str:
    return stored.partition(":")[0]


def decrypt(stored: str, *, purpose: str) -> str:
    kid, sep, body = stored.partition(":")
    key = _key_ring().get(kid)
    if not sep or key is None:
        raise DecryptionError(f"unknown PII key id {kid!r}")
    try:
        raw = base64.b64decode(body)
        plain = _cipher(key).decrypt(
            raw[:NONCE_BYTES], raw[NONCE_BYTES:], purpose.encode()
        )
    except Exception as exc:  # InvalidTag, binascii.Error, ...
        raise DecryptionError("PII value failed authentication") from exc
    return plain.decode()


def encrypt_many(values: Sequence[str], *, purpose: str) -> list[str]:
    """``encrypt`` for many values at once (bulk imports): same format, one key look-up."""
    kid = settings.PII_ACTIVE_KEY_ID
    seal = _cipher(_key_ring()[kid]).encrypt
    associated = purpose.encode()
    prefix = f"{kid}:"
    nonces = os.urandom(NONCE_BYTES * len(values))
    out = []
    for start, plain in zip(range(0, len(nonces), NONCE_BYTES), values, strict=True):
        nonce = nonces[start : start + NONCE_BYTES]
        sealed = nonce + seal(nonce, plain.encode(), associated)
        out.append(prefix + binascii.b2a_base64(sealed, newline=False).decode())
    return out


def blind_indexer(*, purpose: str) -> Callable[[str], str]:
    """``blind_index`` for one purpose as a function of the value (for bulk work)."""
    key = settings.PII_BLIND_INDEX_KEY
    if not key:
        raise ImproperlyConfigured("PII_BLIND_INDEX_KEY is not set.")
    # Keyed once (and fed the purpose): each value then costs a copy and one block.
    keyed = hmac.new(key, f"{purpose}\x00".encode(), "sha256")

    def index(value: str) -> str:
        mac = keyed.copy()
        mac.update(value.encode())
        return mac.hexdigest()

    return index


def blind_index(value: str, *, purpose: str) -> str:
    key = settings.PII_BLIND_INDEX_KEY
    if not key:
        raise ImproperlyConfigured("PII_BLIND_INDEX_KEY is not set.")
    message = f"{purpose}\x00{value}".encode()
    return hmac.digest(key, message, "sha256").hex()


class EncryptedTextField(models.TextField):
    """A text column holding ciphertext; Python code sees the plain value.

    The value never reaches the database, querysets' SQL or fixtures in plain form.
    It cannot be filtered on: look rows up by the matching blind-index column instead.
    """

    def __init__(self, *args, purpose: str = "", **kwargs):
        self.purpose = purpose
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["purpose"] = self.purpose
        return name, path, args, kwargs

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return decrypt(value, purpose=self.purpose)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(value, purpose=self.purpose)

    def get_lookup(self, lookup_name):
        if lookup_name not in {"isnull"}:
            raise TypeError(
                f"{self.name} is encrypted and cannot be filtered with {lookup_name!r}; "
                "use its blind index."
            )
        return super().get_lookup(lookup_name)


# --- masking: what every screen shows by default -----------------------------------------


# An ID number's characters: 1-6 region of issue, 7-14 birth date, 15-17 sequence (17: sex),
# 18 check. Keeping 4 + 4 (or any of the birth date) next to a birth date and a region
# rebuilds the number; 2 + 2 leaves the county, the whole birth date and two sequence
# digits unknown: thousands of candidates even for someone who knows the county and the
# birth year (tests/trainees/test_id_reconstruction.py).
ID_MASK_KEEP = 2


def mask_id_number(number: str | None) -> str:
    """``520102199001011234`` → ``52**************34`` (the one ID mask, used everywhere)."""
    if not number:
        return ""
    keep = ID_MASK_KEEP
    if len(number) <= 4 * keep:
        return "*" * len(number)
    return number[:keep] + "*" * (len(number) - 2 * keep) + number[-keep:]


def mask_name(name: str | None) -> str:
    """``张三`` → ``张*``; ``欧阳娜娜`` → ``欧***``."""
    if not name:
        return ""
    return name[0] + "*" * max(len(name) - 1, 1)


def mask_phone(phone: str | None) -> str:
    """``13812345678`` → ``138****5678``."""
    if not phone:
        return ""
    if len(phone) < 8:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


def mask_account(account: str | None) -> str:
    """Bank account: only the last four digits show."""
    if not account:
        return ""
    return "*" * max(len(account) - 4, 4) + account[-4:]
