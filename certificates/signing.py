"""Ed25519-signed QR payloads: a certificate's QR proves itself without the server.

The QR holds the public verification URL plus one query parameter::

    https://host/verify/<token>/?s=<kid>.<base64url(payload)>.<base64url(signature)>

base64url is RFC 4648 §5 without padding. The signature is Ed25519 over the ASCII bytes
``<kid>.<base64url(payload)>`` (everything before the last dot), so the key id is covered
and any change to the text breaks it. The payload is UTF-8, fields joined by ``|``::

    2|token|number|kind|occupation_code|level|issued_on|expires_on|holder|issuer|status_index

``2`` is the format version; dates are ``YYYYMMDD``; ``level`` and ``expires_on`` may be
empty; ``holder`` is the already-masked name; ``issuer`` the issuing organisation's name;
``status_index`` the certificate's slot (a non-negative integer, its primary key) in the
signed revocation list (``certificates.status_list``), so an offline verifier can look it
up. Version ``1`` (the first nine fields, no issuer or index) is still accepted: QRs
printed before version 2 stay verifiable. The payload's token must equal the token in
the URL path, so a genuine signature cannot be moved onto another certificate's URL.

Keys rotate: new payloads are signed with CERTIFICATE_SIGNING_ACTIVE_KEY, every other key in
CERTIFICATE_SIGNING_KEYS still verifies, and CERTIFICATE_RETIRED_PUBLIC_KEYS keeps the public
half of keys whose private seed is destroyed. ``public_keys_document`` publishes them all.
"""

import base64
import binascii
import datetime
import re
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import parse_qs, urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

QR_PARAM = "s"
FORMAT_VERSION = "2"
# Versions a verifier accepts, and how many fields each has.
FIELD_COUNTS = {"1": 9, "2": 11}
FIELD_SEPARATOR = "|"
SIGNATURE_BYTES = 64
KEY_BYTES = 32

# Generous bounds: a real signed value is ~200 characters and a QR holds at most 2,953
# bytes, so anything longer is refused before any decoding work.
MAX_SIGNED_LENGTH = 1024
MAX_QR_TEXT_LENGTH = 4096

KEY_ID_RE = re.compile(r"[A-Za-z0-9_-]{1,32}")
TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{1,128}")
B64URL_RE = re.compile(r"[A-Za-z0-9_-]*")
DATE_RE = re.compile(r"\d{8}")
INDEX_RE = re.compile(r"0|[1-9][0-9]{0,17}")
VERIFY_PATH_RE = re.compile(r"/verify/(?P<token>[^/]*)/?\Z")

GENUINE = "签名有效"
TAMPERED = "签名无效：内容被篡改"
UNKNOWN_KEY = "未知的签名密钥"
MALFORMED = "格式错误"
PATH_MISMATCH = "签名有效，但与网址中的证书不符"


def qr_param_name() -> str:
    return QR_PARAM


@dataclass(frozen=True)
class QRPayload:
    token: str
    number: str
    kind: str
    occupation_code: str
    level: str  # "" when the certificate has no level
    issued_on: datetime.date
    expires_on: datetime.date | None
    holder: str  # already masked (张*): the QR is public, the full name is not
    issuer: str = ""  # the issuing organisation's name ("" in a version 1 QR)
    status_index: int | None = None  # slot in the revocation list (None in version 1)
    version: str = FORMAT_VERSION  # the payload format it was read from


@dataclass(frozen=True)
class QRCheck:
    genuine: bool
    reason: str  # plain Chinese, shown to the person who scanned
    key_id: str
    payload: QRPayload | None  # only when genuine


# --- keys -------------------------------------------------------------------------------


@lru_cache(maxsize=32)
def _private_key(seed: bytes) -> Ed25519PrivateKey:
    # Keyed by the seed itself, so a changed key ring (rotation, tests) never hits a
    # stale entry.
    return Ed25519PrivateKey.from_private_bytes(seed)


@lru_cache(maxsize=32)
def _public_key(raw: bytes) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(raw)


def _raw_public(private: Ed25519PrivateKey) -> bytes:
    return private.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )


def key_problems() -> list[str]:
    """What is wrong with the signing settings (empty when signing and verifying work)."""
    problems = []
    seeds = settings.CERTIFICATE_SIGNING_KEYS or {}
    retired = settings.CERTIFICATE_RETIRED_PUBLIC_KEYS or {}
    active = settings.CERTIFICATE_SIGNING_ACTIVE_KEY
    if not active or active not in seeds:
        problems.append(
            "CERTIFICATE_SIGNING_KEYS must contain CERTIFICATE_SIGNING_ACTIVE_KEY "
            f"({active!r})."
        )
    for name, ring in (
        ("CERTIFICATE_SIGNING_KEYS", seeds),
        ("CERTIFICATE_RETIRED_PUBLIC_KEYS", retired),
    ):
        for kid, key in ring.items():
            if not KEY_ID_RE.fullmatch(kid):
                problems.append(
                    f"{name}: key id {kid!r} must be 1–32 of A-Z a-z 0-9 _ -."
                )
            if len(key) != KEY_BYTES:
                problems.append(f"{name}: key {kid!r} must be {KEY_BYTES} bytes.")
    for kid in sorted(set(seeds) & set(retired)):
        problems.append(
            f"Key id {kid!r} is in both CERTIFICATE_SIGNING_KEYS and "
            "CERTIFICATE_RETIRED_PUBLIC_KEYS."
        )
    return problems


@checks.register(checks.Tags.security)
def check_signing_keys(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """System check: the certificate signing key ring is usable."""
    return [checks.Error(problem, id="certificates.E001") for problem in key_problems()]


def _validated() -> None:
    problems = key_problems()
    if problems:
        raise ImproperlyConfigured(" ".join(problems))


def _verifying_keys() -> dict[str, bytes]:
    """Key id → raw public key, for every key that may have signed a certificate."""
    _validated()
    ring = {
        kid: _raw_public(_private_key(seed))
        for kid, seed in settings.CERTIFICATE_SIGNING_KEYS.items()
    }
    ring.update(settings.CERTIFICATE_RETIRED_PUBLIC_KEYS)
    return ring


# --- encoding ---------------------------------------------------------------------------


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64url(text: str) -> bytes | None:
    # urlsafe_b64decode silently skips characters outside the alphabet; check first.
    if not B64URL_RE.fullmatch(text) or len(text) % 4 == 1:
        return None
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None


def _date_field(value: datetime.date | None) -> str:
    return value.strftime("%Y%m%d") if value else ""


def _parse_date(text: str) -> datetime.date | None:
    if not DATE_RE.fullmatch(text):
        raise ValueError(text)
    return datetime.date(int(text[:4]), int(text[4:6]), int(text[6:]))


def encode_payload(payload: QRPayload) -> bytes:
    """The version 2 payload bytes that get signed.

    Fields may not contain ``|`` or control codes (callers replace a ``|`` in an issuer's
    name, see ``safe_field``); ``status_index`` must be a non-negative integer.
    """
    index = payload.status_index
    if isinstance(index, bool) or not isinstance(index, int) or index < 0:
        raise ValueError(f"status_index {index!r} must be a non-negative integer.")
    fields = [
        FORMAT_VERSION,
        payload.token,
        payload.number,
        payload.kind,
        payload.occupation_code,
        payload.level,
        _date_field(payload.issued_on),
        _date_field(payload.expires_on),
        payload.holder,
        payload.issuer,
        str(index),
    ]
    for field in fields:
        if FIELD_SEPARATOR in field or any(ord(ch) < 0x20 for ch in field):
            raise ValueError(f"QR payload field {field!r} holds | or a control code.")
    if not TOKEN_RE.fullmatch(payload.token):
        raise ValueError(f"Token {payload.token!r} is not URL-safe.")
    if not payload.issued_on:
        raise ValueError("A certificate needs an issue date.")
    return FIELD_SEPARATOR.join(fields).encode("utf-8")


def safe_field(text: str) -> str:
    """``text`` fit for a payload field: ``|`` becomes the full-width ｜, control codes
    a space (an organisation's name may hold either; the QR must still be made)."""
    text = (text or "").replace(FIELD_SEPARATOR, "｜")
    return "".join(" " if ord(ch) < 0x20 else ch for ch in text)


def decode_payload(data: bytes) -> QRPayload | None:
    """A version 1 or version 2 payload, or None for anything else."""
    try:
        fields = data.decode("utf-8").split(FIELD_SEPARATOR)
    except UnicodeDecodeError:
        return None
    version = fields[0]
    if FIELD_COUNTS.get(version) != len(fields):
        return None
    _version, token, number, kind, occupation, level, issued, expires, holder = fields[
        :9
    ]
    issuer, status_index = "", None
    if version == "2":
        issuer, index_text = fields[9:]
        if not INDEX_RE.fullmatch(index_text):
            return None
        status_index = int(index_text)
    try:
        issued_on = _parse_date(issued)
        expires_on = _parse_date(expires) if expires else None
    except ValueError:
        return None
    return QRPayload(
        token=token,
        number=number,
        kind=kind,
        occupation_code=occupation,
        level=level,
        issued_on=issued_on,
        expires_on=expires_on,
        holder=holder,
        issuer=issuer,
        status_index=status_index,
        version=version,
    )


# --- signing and checking ---------------------------------------------------------------


def sign_payload(payload: QRPayload) -> str:
    """The query-parameter value ``<kid>.<payload>.<signature>`` under the active key."""
    _validated()
    kid = settings.CERTIFICATE_SIGNING_ACTIVE_KEY
    signed_part = f"{kid}.{_b64url(encode_payload(payload))}"
    key = _private_key(settings.CERTIFICATE_SIGNING_KEYS[kid])
    return f"{signed_part}.{_b64url(key.sign(signed_part.encode('ascii')))}"


def qr_text(payload: QRPayload, *, verify_url: str) -> str:
    """The text the QR encodes: the verification URL with the signed payload attached."""
    path = urlsplit(verify_url).path
    match = VERIFY_PATH_RE.search(path)
    if not match or match["token"] != payload.token:
        raise ValueError(
            f"verify_url {verify_url!r} must end with /verify/{payload.token}/."
        )
    joiner = "&" if "?" in verify_url else "?"
    return f"{verify_url}{joiner}{QR_PARAM}={sign_payload(payload)}"


def _refused(reason: str, key_id: str = "") -> QRCheck:
    return QRCheck(genuine=False, reason=reason, key_id=key_id, payload=None)


def check_signed(
    token: str, signed: str, keys: dict[str, bytes] | None = None
) -> QRCheck:
    """Check the signed value from a QR against the token in the URL path it came with.

    ``keys`` (key id → raw public key) replaces the configured ring, e.g. the keys of a
    downloaded public keys document (``keys_from_document``)."""
    if not isinstance(token, str) or not isinstance(signed, str):
        return _refused(MALFORMED)
    if len(signed) > MAX_SIGNED_LENGTH:
        return _refused(f"{MALFORMED}：签名参数过长")
    parts = signed.split(".")
    if len(parts) != 3:
        return _refused(f"{MALFORMED}：签名参数应为三段")
    kid, payload_b64, signature_b64 = parts
    if not KEY_ID_RE.fullmatch(kid):
        return _refused(f"{MALFORMED}：密钥编号无效")
    public = (_verifying_keys() if keys is None else keys).get(kid)
    if public is None:
        return _refused(UNKNOWN_KEY, kid)
    payload_bytes = _unb64url(payload_b64)
    signature = _unb64url(signature_b64)
    if not payload_bytes or signature is None or len(signature) != SIGNATURE_BYTES:
        return _refused(f"{MALFORMED}：内容或签名无法解码", kid)
    try:
        _public_key(public).verify(signature, f"{kid}.{payload_b64}".encode("ascii"))
    except InvalidSignature:
        return _refused(TAMPERED, kid)
    payload = decode_payload(payload_bytes)
    if payload is None:
        # Only a signing bug or a foreign format under our key gets here.
        return _refused(f"{MALFORMED}：签名有效但内容无法识别", kid)
    if payload.token != token:
        return _refused(PATH_MISMATCH, kid)
    return QRCheck(genuine=True, reason=GENUINE, key_id=kid, payload=payload)


def verify_qr_text(text: str, keys: dict[str, bytes] | None = None) -> QRCheck:
    """Check a whole scanned QR text (the URL); never raises on bad input."""
    if not isinstance(text, str) or not text.strip():
        return _refused(f"{MALFORMED}：内容为空")
    text = text.strip()
    if len(text) > MAX_QR_TEXT_LENGTH:
        return _refused(f"{MALFORMED}：内容过长")
    try:
        parts = urlsplit(text)
        query = parse_qs(parts.query, keep_blank_values=True, max_num_fields=20)
    except ValueError:
        return _refused(f"{MALFORMED}：不是有效的网址")
    match = VERIFY_PATH_RE.search(parts.path)
    if not match or not TOKEN_RE.fullmatch(match["token"]):
        return _refused(f"{MALFORMED}：网址中没有证书验证码")
    values = query.get(QR_PARAM, [])
    if len(values) != 1:
        return _refused(f"{MALFORMED}：缺少签名参数 {QR_PARAM}")
    return check_signed(match["token"], values[0], keys)


def keys_from_document(document) -> dict[str, bytes]:
    """Key id → raw public key from a published keys document (``public_keys_document``,
    /.well-known/certificate-keys.json); ValueError with a plain message when it is not
    one."""
    keys = document.get("keys") if isinstance(document, dict) else None
    if not isinstance(keys, dict) or not keys:
        raise ValueError("公钥文件格式错误：缺少 keys")
    ring = {}
    for kid, text in keys.items():
        try:
            raw = (
                base64.b64decode(text, validate=True) if isinstance(text, str) else b""
            )
        except (binascii.Error, ValueError):
            raw = b""
        if not KEY_ID_RE.fullmatch(str(kid)) or len(raw) != KEY_BYTES:
            raise ValueError(f"公钥文件格式错误：密钥 {kid!r} 无效")
        ring[kid] = raw
    return ring


def public_keys_document() -> dict:
    """The JSON document for /.well-known/certificate-keys.json."""
    keys = _verifying_keys()
    return {
        "algorithm": "Ed25519",
        "active": settings.CERTIFICATE_SIGNING_ACTIVE_KEY,
        "keys": {
            kid: base64.b64encode(raw).decode("ascii")
            for kid, raw in sorted(keys.items())
        },
        "retired": sorted(settings.CERTIFICATE_RETIRED_PUBLIC_KEYS),
        "format": {
            "qr_text": f"<verification URL ending /verify/<token>/>?{QR_PARAM}=<signed>",
            "signed": "<kid>.<base64url(payload)>.<base64url(signature)>; "
            "base64url per RFC 4648 section 5, without padding",
            "signature": "Ed25519 (64 bytes) over the ASCII bytes "
            "'<kid>.<base64url(payload)>', i.e. everything before the last '.'",
            "payload": "UTF-8 text, fields joined by '|': version ('2'), token, number, "
            "kind, occupation_code, level (may be empty), issued_on (YYYYMMDD), "
            "expires_on (YYYYMMDD, empty if it never expires), holder (masked name), "
            "issuer (issuing organisation's name), status_index (non-negative integer: "
            "the certificate's bit in /.well-known/certificate-revocations.json). "
            "Version '1' payloads (printed earlier) have only the first nine fields "
            "and remain valid.",
            "token": "the payload's token must equal the <token> in the URL path",
            "keys": "base64 (RFC 4648 section 4) raw 32-byte Ed25519 public keys",
        },
    }
