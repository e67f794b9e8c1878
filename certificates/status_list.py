"""The signed revocation list: /.well-known/certificate-revocations.json.

One bit per certificate (its ``status_index``, the primary key, also signed into the QR
payload version 2): a W3C Bitstring Status List, so an auditor's device that downloaded
the list once can tell, offline, whether a scanned certificate was revoked or superseded
as of the list's issue time. The document is an envelope around a signed JSON body::

    {"format": "qjt-revocations/1", "kid": "<key id>",
     "signed": "<b64url(UTF-8 JSON body)>",
     "signature": "<b64url(Ed25519 over the ASCII bytes of the signed string)>"}

    body = {"issuer": "<site origin>", "issued_at": "<ISO 8601 UTC>",
            "ttl_seconds": <int>, "size": <bits>,
            "encodedList": "<b64url(gzip(bits))>",   # bit i = status_index i, MSB first
            "entries": "<b64url(gzip(UTF-8 text))>"}  # one line per set bit, by index:
                                                       # <index delta>,<YYYYMMDD>,<R|S>

b64url is RFC 4648 §5 without padding; the key ring and the signature scheme are the
QR's (``certificates.signing``). The first entry's delta is its index; dates are the
local (Asia/Shanghai) day of the revocation or supersession. The list is built from one
``values_list`` query over the non-valid certificates (plus one aggregate for the size),
kept in the cache for at most ``REGENERATE_AFTER`` seconds and dropped the moment a
revocation or reissue commits (``invalidate``), so the next GET shows it.
"""

import datetime
import gzip
import hashlib
import json
import time
import zlib
from collections.abc import Iterable
from urllib.parse import urlsplit

from cryptography.exceptions import InvalidSignature
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from certificates import signing
from certificates.models import Certificate, CertificateStatus

FORMAT = "qjt-revocations/1"
REVOKED = "R"
SUPERSEDED = "S"
CACHE_KEY = "certificates:revocations:1"
# The same bits as a W3C BitstringStatusListCredential (certificates.credentials).
CREDENTIAL_CACHE_KEY = "certificates:status-list-credential:1"
# W3C Bitstring Status List: at least 16 KiB of bits, so that one certificate's slot
# says nothing about how many certificates there are ("herd privacy").
MIN_SIZE = 131_072
# Never accept (or inflate) a list claiming more than this many bits: 2^27 bits = 16 MiB.
MAX_SIZE = 1 << 27
# A cached copy is rebuilt at least this often (seconds, never more than the TTL): a
# served list is never more than five minutes old, so a client's copy turns stale about
# one TTL after it was fetched. A revocation or reissue drops the copy at once.
REGENERATE_AFTER = 300
MAX_DOCUMENT_LENGTH = 4 * 1024 * 1024
STATUS_CODES = {
    CertificateStatus.REVOKED: REVOKED,
    CertificateStatus.SUPERSEDED: SUPERSEDED,
}

BAD_FORMAT = "撤销列表格式错误"
BAD_SIGNATURE = "撤销列表签名无效：内容被篡改"
UNKNOWN_KEY = "撤销列表的签名密钥未知"
GOOD = "撤销列表签名有效"


def ttl_seconds() -> int:
    return int(getattr(settings, "CERTIFICATE_REVOCATIONS_TTL", 3600))


# --- encoding ---------------------------------------------------------------------------


def _gzip(data: bytes) -> bytes:
    # mtime=0: equal lists give equal bytes (and ETags).
    return gzip.compress(data, compresslevel=9, mtime=0)


def encode_bits(indexes: Iterable[int], size: int) -> str:
    """b64url(gzip(bitstring)): bit i (counted from the most significant bit of byte 0)
    is set for every i in ``indexes``."""
    bits = bytearray((size + 7) // 8)
    for index in indexes:
        if not 0 <= index < size:
            raise ValueError(f"index {index} outside a list of {size} bits")
        bits[index >> 3] |= 0x80 >> (index & 7)
    return signing._b64url(_gzip(bytes(bits)))


def encode_entries(rows: Iterable[tuple[int, datetime.date, str]]) -> str:
    """b64url(gzip(text)), one ``<delta>,<YYYYMMDD>,<R|S>`` line per row, by index."""
    lines = []
    previous = 0
    for index, day, code in sorted(rows):
        lines.append(f"{index - previous},{day.strftime('%Y%m%d')},{code}")
        previous = index
    return signing._b64url(_gzip("\n".join(lines).encode("ascii")))


def list_size(highest_index: int | None) -> int:
    """Bits needed for indexes up to ``highest_index``: a whole number of bytes, at
    least MIN_SIZE."""
    needed = 0 if highest_index is None else highest_index + 1
    return max(MIN_SIZE, (needed + 7) // 8 * 8)


def build_body(
    rows: Iterable[tuple[int, datetime.date, str]],
    *,
    size: int,
    issued_at: datetime.datetime,
    ttl: int,
    issuer: str,
) -> dict:
    """The body for ``rows`` of (status_index, day, "R"|"S"), from any source."""
    rows = list(rows)
    return {
        "issuer": issuer,
        "issued_at": issued_at.astimezone(datetime.UTC)
        .replace(microsecond=0)
        .isoformat()
        .replace("+00:00", "Z"),
        "ttl_seconds": ttl,
        "size": size,
        "encodedList": encode_bits((index for index, _, _ in rows), size),
        "entries": encode_entries(rows),
    }


def sign_body(body: dict) -> dict:
    """The envelope: the body's JSON signed with the active certificate key."""
    signing._validated()
    kid = settings.CERTIFICATE_SIGNING_ACTIVE_KEY
    text = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    signed = signing._b64url(text.encode("utf-8"))
    key = signing._private_key(settings.CERTIFICATE_SIGNING_KEYS[kid])
    signature = signing._b64url(key.sign(signed.encode("ascii")))
    return {"format": FORMAT, "kid": kid, "signed": signed, "signature": signature}


# --- from the database ------------------------------------------------------------------


def _day(moment: datetime.datetime | None) -> datetime.date | None:
    return timezone.localtime(moment).date() if moment else None


def revocation_rows() -> list[tuple[int, datetime.date, str]]:
    """(status_index, day, "R"|"S") of every revoked or superseded certificate: one
    query, plain tuples (at province scale a few thousand rows)."""
    rows = []
    query = (
        Certificate.objects.filter(status__in=list(STATUS_CODES))
        .order_by()  # the entries are sorted in Python; no ORDER BY on the table
        .values_list("pk", "status", "revoked_at", "superseded_at")
    )
    for pk, status, revoked_at, superseded_at in query:
        day = _day(revoked_at if status == CertificateStatus.REVOKED else superseded_at)
        rows.append((pk, day, STATUS_CODES[status]))
    return rows


def issuer_origin() -> str:
    parts = urlsplit(settings.PUBLIC_BASE_URL)
    return f"{parts.scheme}://{parts.netloc}" if parts.netloc else "黔技通"


def build_document() -> dict:
    """A freshly built and signed list (no cache)."""
    rows = revocation_rows()
    highest = Certificate.objects.aggregate(highest=Max("pk"))["highest"]
    body = build_body(
        rows,
        size=list_size(highest),
        issued_at=timezone.now(),
        ttl=ttl_seconds(),
        issuer=issuer_origin(),
    )
    return sign_body(body)


def revocation_document() -> dict:
    """The current signed list, from the cache when it is there."""
    cached = cache.get(CACHE_KEY)
    if cached is not None:
        return cached
    document = build_document()
    cache.set(CACHE_KEY, document, timeout=min(REGENERATE_AFTER, ttl_seconds()))
    return document


def invalidate() -> None:
    """Drop the cached list once the current transaction commits (a revocation or a
    reissue): the next request builds it again and shows the change (the W3C status
    list credential too)."""
    transaction.on_commit(lambda: cache.delete_many([CACHE_KEY, CREDENTIAL_CACHE_KEY]))


def document_etag(document: dict) -> str:
    return '"' + hashlib.sha256(document["signed"].encode()).hexdigest()[:32] + '"'


def unchecked_body(document: dict) -> dict:
    """The body of a list we signed ourselves (no signature check: not for input)."""
    return json.loads(signing._unb64url(document["signed"]).decode("utf-8"))


def seconds_left(body: dict, now: float | None = None) -> int:
    """Seconds until the list is older than its TTL (negative once it is)."""
    issued = datetime.datetime.fromisoformat(body["issued_at"].replace("Z", "+00:00"))
    now = time.time() if now is None else now
    return int(issued.timestamp() + body["ttl_seconds"] - now)


# --- checking a downloaded list ---------------------------------------------------------


def _inflate(data: bytes, limit: int) -> bytes | None:
    """gzip data, refused when it would inflate past ``limit`` bytes (a gzip bomb)."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(data, limit + 1)
    except zlib.error:
        return None
    if len(out) > limit or not inflater.eof:
        return None
    return out


def _parse_entries(text: str) -> list[tuple[int, datetime.date, str]] | None:
    rows = []
    index = None
    for line in text.split("\n") if text else []:
        parts = line.split(",")
        if len(parts) != 3 or parts[2] not in (REVOKED, SUPERSEDED):
            return None
        delta, day, code = parts
        if (
            not delta.isascii()
            or not delta.isdigit()
            or not signing.DATE_RE.fullmatch(day)
        ):
            return None
        if index is not None and int(delta) == 0:
            return None  # indexes strictly increase
        index = int(delta) if index is None else index + int(delta)
        try:
            parsed = signing._parse_date(day)
        except ValueError:
            return None
        rows.append((index, parsed, code))
    return rows


def check_revocation_document(
    doc, keys: dict[str, bytes] | None = None
) -> tuple[bool, dict | None, str]:
    """(ok, body, reason) for a downloaded list: the signature against ``keys`` (key id →
    raw Ed25519 public key; default the configured ring, retired keys included), then
    the body's shape. On success the body gains ``_bits`` (the raw bitstring) and
    ``_entries`` ({index: (date, "R"|"S")}) for ``status_of``. Never raises."""
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        return False, None, f"{BAD_FORMAT}：不是 {FORMAT}"
    kid, signed, signature_b64 = (doc.get(k) for k in ("kid", "signed", "signature"))
    if not all(isinstance(v, str) for v in (kid, signed, signature_b64)):
        return False, None, f"{BAD_FORMAT}：缺少 kid、signed 或 signature"
    if len(signed) > MAX_DOCUMENT_LENGTH or not signing.KEY_ID_RE.fullmatch(kid):
        return False, None, f"{BAD_FORMAT}：内容过长或密钥编号无效"
    ring = signing._verifying_keys() if keys is None else keys
    public = ring.get(kid)
    if public is None:
        return False, None, UNKNOWN_KEY
    body_bytes = signing._unb64url(signed)
    signature = signing._unb64url(signature_b64)
    if not body_bytes or signature is None or len(signature) != signing.SIGNATURE_BYTES:
        return False, None, f"{BAD_FORMAT}：内容或签名无法解码"
    try:
        signing._public_key(public).verify(signature, signed.encode("ascii"))
    except (InvalidSignature, ValueError):
        return False, None, BAD_SIGNATURE
    try:
        body = json.loads(body_bytes.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        body = None
    return _decoded(body)


def _decoded(body) -> tuple[bool, dict | None, str]:
    """A body's shape checked and its two lists decoded (``_bits``, ``_entries``)."""
    problem = f"{BAD_FORMAT}：签名有效但内容无法识别"
    if not isinstance(body, dict):
        return False, None, problem
    size, ttl = body.get("size"), body.get("ttl_seconds")
    if (
        not all(isinstance(body.get(k), str) for k in ("issuer", "issued_at"))
        or not all(isinstance(body.get(k), str) for k in ("encodedList", "entries"))
        or not isinstance(size, int)
        or isinstance(size, bool)
        or not 0 < size <= MAX_SIZE
        or not isinstance(ttl, int)
        or isinstance(ttl, bool)
        or ttl < 0
    ):
        return False, None, problem
    try:
        seconds_left(body, 0)
    except (ValueError, OverflowError):
        return False, None, problem
    list_gz = signing._unb64url(body["encodedList"])
    entries_gz = signing._unb64url(body["entries"])
    bits = _inflate(list_gz, (size + 7) // 8) if list_gz else None
    text = _inflate(entries_gz, MAX_DOCUMENT_LENGTH) if entries_gz else None
    if bits is None or len(bits) != (size + 7) // 8 or text is None:
        return False, None, problem
    try:
        rows = _parse_entries(text.decode("ascii"))
    except UnicodeDecodeError:
        rows = None
    if rows is None:
        return False, None, problem
    # Every entry names a set bit and every set bit has an entry.
    set_bits = int.from_bytes(bits, "big").bit_count()
    if set_bits != len(rows) or any(
        index >= size or not bits[index >> 3] & (0x80 >> (index & 7))
        for index, _, _ in rows
    ):
        return False, None, problem
    body = {
        **body,
        "_bits": bits,
        "_entries": {index: (day, code) for index, day, code in rows},
    }
    return True, body, GOOD


def status_of(body: dict, index: int) -> None | tuple[datetime.date, str]:
    """(day, "R" revoked | "S" superseded) for a status index, or None when its bit is
    clear or outside the list (the certificate was not revoked as of ``issued_at``).
    ``body`` is what ``check_revocation_document`` returned (a plain body, as in the
    document, is decoded first)."""
    if "_bits" not in body:
        ok, body, _reason = _decoded(body)
        if not ok:
            raise ValueError("not a revocation list body")
    bits = body["_bits"]
    if not isinstance(index, int) or index < 0 or index >= body["size"]:
        return None
    if not bits[index >> 3] & (0x80 >> (index & 7)):
        return None
    return body["_entries"][index]
