"""Portable credentials: a certificate as a W3C Verifiable Credential 2.0 / Open Badges
3.0 document, signed with the certificate key (Data Integrity, ``eddsa-jcs-2022``).

- issuer: the platform as ``did:web:<host>``; its DID document at
  ``/.well-known/did.json`` lists every certificate key (active and retired) as a
  ``Multikey`` verification method ``did:web:<host>#<kid>``;
- credentialStatus: a ``BitstringStatusListEntry`` (purpose ``revocation``, index = the
  certificate's ``status_index``) in the ``BitstringStatusListCredential`` at
  ``/.well-known/certificate-status-list.json`` — the same bits as the signed revocation
  list (``certificates.status_list``), as a W3C credential;
- the holder is named only masked (``王**`` and the masked ID number, as the public
  verification page shows them). No hash of the ID number: an 18-digit ID number has
  too little entropy (region, birth date, three digits) for a salted hash published
  with its salt to hide it.

The proof follows "Data Integrity EdDSA Cryptosuites v1.0", eddsa-jcs-2022: hashData =
SHA-256(JCS(proof options with the document's @context)) ‖ SHA-256(JCS(document without
proof)); proofValue = multibase base58btc (``z``…) of the Ed25519 signature over it.
JCS is RFC 8785; the documents here hold only strings, integers, booleans, lists and
objects, which ``canonical_json`` handles (it refuses floats rather than guess).
"""

import datetime
import gzip
import hashlib
import json
from urllib.parse import quote, urlsplit

from cryptography.exceptions import InvalidSignature
from django.conf import settings
from django.core.cache import cache
from django.db.models import Max
from django.utils import timezone

from certificates import signing, status_list
from certificates.models import Certificate

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
CRYPTOSUITE = "eddsa-jcs-2022"
STATUS_LIST_PATH = "/.well-known/certificate-status-list.json"
DID_PATH = "/.well-known/did.json"
STATUS_CACHE_KEY = status_list.CREDENTIAL_CACHE_KEY
PLATFORM_NAME = "黔技通（贵州省职业技能培训与评价服务平台）"
# Multicodec prefix of an Ed25519 public key (0xed, varint) in a Multikey.
ED25519_PUB_PREFIX = b"\xed\x01"
BEIJING = datetime.timezone(datetime.timedelta(hours=8))

# --- RFC 8785 and multibase -------------------------------------------------------------


def _utf16_key(text: str) -> bytes:
    return text.encode("utf-16-be")  # RFC 8785 sorts keys by UTF-16 code units


def canonical_json(value) -> str:
    """RFC 8785 (JCS) text of ``value`` (no floats)."""
    if isinstance(value, dict):
        items = sorted(value.items(), key=lambda item: _utf16_key(item[0]))
        return (
            "{"
            + ",".join(f"{canonical_json(k)}:{canonical_json(v)}" for k, v in items)
            + "}"
        )
    if isinstance(value, list | tuple):
        return "[" + ",".join(canonical_json(v) for v in value) + "]"
    if isinstance(value, float):
        raise ValueError("canonical_json: floats are not used in credentials")
    # str (escaped as ECMAScript JSON.stringify does), int, bool, None.
    return json.dumps(value, ensure_ascii=False)


B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def base58btc(data: bytes) -> str:
    number = int.from_bytes(data, "big")
    out = ""
    while number:
        number, rest = divmod(number, 58)
        out = B58[rest] + out
    return "1" * (len(data) - len(data.lstrip(b"\0"))) + out


def multikey(raw_public: bytes) -> str:
    return "z" + base58btc(ED25519_PUB_PREFIX + raw_public)


# --- identities -------------------------------------------------------------------------


def site_url() -> str:
    parts = urlsplit(settings.PUBLIC_BASE_URL)
    return f"{parts.scheme}://{parts.netloc}"


def issuer_did() -> str:
    """did:web of the public site (a port is percent-encoded, as did:web asks)."""
    return "did:web:" + quote(urlsplit(settings.PUBLIC_BASE_URL).netloc, safe="")


def did_document() -> dict:
    did = issuer_did()
    methods = [
        {
            "id": f"{did}#{kid}",
            "type": "Multikey",
            "controller": did,
            "publicKeyMultibase": multikey(raw),
        }
        for kid, raw in sorted(signing._verifying_keys().items())
    ]
    return {
        "@context": [
            "https://www.w3.org/ns/did/v1",
            "https://w3id.org/security/multikey/v1",
        ],
        "id": did,
        "verificationMethod": methods,
        "assertionMethod": [method["id"] for method in methods],
    }


# --- proofs -----------------------------------------------------------------------------


def _hash_data(document: dict, proof_options: dict) -> bytes:
    config = {**proof_options, "@context": document["@context"]}
    return (
        hashlib.sha256(canonical_json(config).encode("utf-8")).digest()
        + hashlib.sha256(canonical_json(document).encode("utf-8")).digest()
    )


def add_proof(document: dict, *, created: datetime.datetime | None = None) -> dict:
    """``document`` with an eddsa-jcs-2022 DataIntegrityProof by the active key."""
    signing._validated()
    kid = settings.CERTIFICATE_SIGNING_ACTIVE_KEY
    created = (created or timezone.now()).astimezone(datetime.UTC)
    options = {
        "type": "DataIntegrityProof",
        "cryptosuite": CRYPTOSUITE,
        "created": created.replace(microsecond=0).isoformat().replace("+00:00", "Z"),
        "verificationMethod": f"{issuer_did()}#{kid}",
        "proofPurpose": "assertionMethod",
    }
    key = signing._private_key(settings.CERTIFICATE_SIGNING_KEYS[kid])
    signature = key.sign(_hash_data(document, options))
    return {**document, "proof": {**options, "proofValue": "z" + base58btc(signature)}}


def _b58decode(text: str) -> bytes | None:
    number = 0
    for char in text:
        digit = B58.find(char)
        if digit < 0:
            return None
        number = number * 58 + digit
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\0" * (len(text) - len(text.lstrip("1"))) + body


def verify_proof(credential: dict) -> bool:
    """Our own check of a credential's proof against the configured key ring."""
    if not isinstance(credential, dict) or not isinstance(
        credential.get("proof"), dict
    ):
        return False
    proof = dict(credential["proof"])
    document = {k: v for k, v in credential.items() if k != "proof"}
    value = proof.pop("proofValue", "")
    method = proof.get("verificationMethod", "")
    did, _, kid = str(method).partition("#")
    public = signing._verifying_keys().get(kid)
    if (
        did != issuer_did()
        or public is None
        or proof.get("cryptosuite") != CRYPTOSUITE
        or not isinstance(value, str)
        or not value.startswith("z")
    ):
        return False
    signature = _b58decode(value[1:])
    if signature is None or len(signature) != signing.SIGNATURE_BYTES:
        return False
    try:
        signing._public_key(public).verify(signature, _hash_data(document, proof))
    except (InvalidSignature, ValueError):
        return False
    return True


# --- the certificate as a credential ----------------------------------------------------


def _start_of(day: datetime.date) -> str:
    return datetime.datetime.combine(day, datetime.time(0, 0), BEIJING).isoformat()


def _end_of(day: datetime.date) -> str:
    return datetime.datetime.combine(
        day, datetime.time(23, 59, 59), BEIJING
    ).isoformat()


def certificate_credential(certificate, *, verify_url: str) -> dict:
    """The signed VC 2.0 / Open Badges 3.0 document of one certificate."""
    level = certificate.get_level_display() if certificate.level else ""
    kind = certificate.get_kind_display()
    occupation = f"{certificate.occupation_name}（{certificate.occupation_id}）"
    name = " · ".join(part for part in (kind, occupation, level) if part)
    site = site_url()
    index = certificate.pk
    achievement = {
        "id": f"{site}/achievements/{certificate.kind}/{certificate.occupation_id}"
        f"/{certificate.level or '-'}",
        "type": ["Achievement"],
        "achievementType": "Certificate",
        "name": name,
        "description": f"{certificate.issuer_name}颁发的{kind}：{occupation}"
        + (f"，等级{level}" if level else ""),
        "criteria": {
            "narrative": "按国家职业标准经培训、考核或评价合格，由发证机构颁发。"
        },
        "humanCode": certificate.occupation_id,
        "fieldOfStudy": certificate.occupation_name,
        "creator": {
            "id": f"{site}/organisations/{certificate.issuer_id or 0}",
            "type": ["Profile"],
            "name": certificate.issuer_name,
        },
    }
    if level:
        achievement["specialization"] = level
    credential = {
        "@context": [VC_CONTEXT, OB_CONTEXT],
        "id": verify_url,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": f"{kind} {certificate.number}",
        "issuer": {
            "id": issuer_did(),
            "type": ["Profile"],
            "name": PLATFORM_NAME,
            "url": site,
        },
        "validFrom": _start_of(certificate.issued_on),
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [
                {
                    "type": "IdentityObject",
                    "identityType": "name",
                    "hashed": False,
                    "identityHash": certificate.masked_holder_name,
                },
                {
                    "type": "IdentityObject",
                    "identityType": "nationalIdentityNumber",
                    "hashed": False,
                    "identityHash": certificate.holder_id_masked,
                },
            ],
            "achievement": achievement,
            "certificateNumber": certificate.number,
            "certificateKind": certificate.kind,
            "level": certificate.level,
            "issuedBy": certificate.issuer_name,
        },
        "credentialStatus": {
            "id": f"{site}{STATUS_LIST_PATH}#{index}",
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": str(index),
            "statusListCredential": f"{site}{STATUS_LIST_PATH}",
        },
    }
    if certificate.expires_on:
        credential["validUntil"] = _end_of(certificate.expires_on)
    return add_proof(credential)


# --- the W3C status list credential ----------------------------------------------------


def status_list_credential() -> dict:
    """BitstringStatusListCredential of the same bits as the revocation list (revoked or
    superseded = 1), signed like the certificates' credentials; cached like the list."""
    cached = cache.get(STATUS_CACHE_KEY)
    if cached is not None:
        return cached
    rows = status_list.revocation_rows()
    highest = Certificate.objects.aggregate(highest=Max("pk"))["highest"]
    size = status_list.list_size(highest)
    bits = bytearray(size // 8)
    for index, _, _ in rows:
        bits[index >> 3] |= 0x80 >> (index & 7)
    now = timezone.now().replace(microsecond=0)
    ttl = status_list.ttl_seconds()
    site = site_url()
    document = {
        "@context": [VC_CONTEXT],
        "id": f"{site}{STATUS_LIST_PATH}",
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer_did(),
        "validFrom": now.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z"),
        "validUntil": (now + datetime.timedelta(seconds=ttl))
        .astimezone(datetime.UTC)
        .isoformat()
        .replace("+00:00", "Z"),
        "credentialSubject": {
            "id": f"{site}{STATUS_LIST_PATH}#list",
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            # W3C: multibase base64url (no padding) of the GZIP-compressed bitstring.
            "encodedList": "u"
            + signing._b64url(gzip.compress(bytes(bits), compresslevel=9, mtime=0)),
            "ttl": ttl * 1000,  # milliseconds, as the W3C recommendation counts
        },
    }
    signed = add_proof(document, created=now)
    cache.set(STATUS_CACHE_KEY, signed, timeout=min(status_list.REGENERATE_AFTER, ttl))
    return signed
