"""The certificate as a W3C Verifiable Credential 2.0 / Open Badges 3.0 document.

The proof is checked by an implementation written here from the specifications, sharing
no code with certificates.credentials: Ed25519 verification from RFC 8032 section 6 (the
reference code), JCS per RFC 8785 for the JSON types present, base58btc from its
alphabet, and the eddsa-jcs-2022 hashing of "Data Integrity EdDSA Cryptosuites v1.0".
"""

import base64
import copy
import datetime
import gzip
import hashlib

import pytest
from django.core.cache import cache
from django.utils import timezone

from certificates import credentials, status_list
from certificates.models import CertificateStatus
from tests.certificates.test_verify import ID_NUMBER, NAME, make_certificate
from tests.factories import TraineeFactory, UserFactory, make_id_number

pytestmark = pytest.mark.django_db

# --- RFC 8032 section 6: Ed25519 verification, pure Python ------------------------------

P = 2**255 - 19
Q = 2**252 + 27742317777372353535851937790883648493


def _inv(x):
    return pow(x, P - 2, P)


D = -121665 * _inv(121666) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)


def _add(a, b):
    x1, y1, z1, t1 = a
    x2, y2, z2, t2 = b
    aa, bb = (y1 - x1) * (y2 - x2) % P, (y1 + x1) * (y2 + x2) % P
    cc, dd = 2 * t1 * t2 * D % P, 2 * z1 * z2 % P
    e, f, g, h = bb - aa, dd - cc, dd + cc, bb + aa
    return (e * f, g * h, f * g, e * h)


def _mul(s, point):
    result = (0, 1, 1, 0)
    while s > 0:
        if s & 1:
            result = _add(result, point)
        point = _add(point, point)
        s >>= 1
    return result


def _equal(a, b):
    return (a[0] * b[2] - b[0] * a[2]) % P == 0 and (a[1] * b[2] - b[1] * a[2]) % P == 0


def _recover_x(y, sign):
    if y >= P:
        return None
    x2 = (y * y - 1) * _inv(D * y * y + 1)
    if x2 == 0:
        return None if sign else 0
    x = pow(x2, (P + 3) // 8, P)
    if (x * x - x2) % P != 0:
        x = x * SQRT_M1 % P
    if (x * x - x2) % P != 0:
        return None
    if (x & 1) != sign:
        x = P - x
    return x


G_Y = 4 * _inv(5) % P
G_X = _recover_x(G_Y, 0)
G = (G_X, G_Y, 1, G_X * G_Y % P)


def _decompress(data):
    y = int.from_bytes(data, "little")
    sign = y >> 255
    y &= (1 << 255) - 1
    x = _recover_x(y, sign)
    return None if x is None else (x, y, 1, x * y % P)


def ed25519_verify(public: bytes, message: bytes, signature: bytes) -> bool:
    if len(public) != 32 or len(signature) != 64:
        return False
    a = _decompress(public)
    r = _decompress(signature[:32])
    if a is None or r is None:
        return False
    s = int.from_bytes(signature[32:], "little")
    if s >= Q:
        return False
    h = int.from_bytes(
        hashlib.sha512(signature[:32] + public + message).digest(), "little"
    )
    return _equal(_mul(s, G), _add(r, _mul(h % Q, a)))


# --- RFC 8785 for strings, integers, booleans, null, arrays and objects -----------------

ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n"}
ESCAPES.update({"\r": "\\r", "\t": "\\t"})


def jcs(value) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        out = []
        for ch in value:
            if ch in ESCAPES:
                out.append(ESCAPES[ch])
            elif ord(ch) < 0x20:
                out.append(f"\\u{ord(ch):04x}")
            else:
                out.append(ch)
        return '"' + "".join(out) + '"'
    if isinstance(value, list):
        return "[" + ",".join(jcs(v) for v in value) + "]"
    if isinstance(value, dict):
        # RFC 8785 3.2.3: property names sorted by their UTF-16 code units.
        names = sorted(value, key=lambda n: list(n.encode("utf-16-be")))
        return "{" + ",".join(jcs(n) + ":" + jcs(value[n]) for n in names) + "}"
    raise TypeError(type(value))


ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def b58decode(text: str) -> bytes:
    number = 0
    for ch in text:
        number = number * 58 + ALPHABET.index(ch)
    zeros = len(text) - len(text.lstrip("1"))
    return b"\0" * zeros + number.to_bytes((number.bit_length() + 7) // 8, "big")


def public_key_from_did(did_doc: dict, method_id: str) -> bytes:
    (method,) = [m for m in did_doc["verificationMethod"] if m["id"] == method_id]
    assert method["type"] == "Multikey"
    assert method_id in did_doc["assertionMethod"]
    raw = b58decode(method["publicKeyMultibase"].removeprefix("z"))
    assert raw[:2] == b"\xed\x01"  # multicodec ed25519-pub
    return raw[2:]


def independently_verified(credential: dict, did_doc: dict) -> bool:
    """eddsa-jcs-2022 verification, from the specification."""
    document = {k: v for k, v in credential.items() if k != "proof"}
    proof = dict(credential["proof"])
    value = proof.pop("proofValue")
    assert proof["type"] == "DataIntegrityProof"
    assert proof["cryptosuite"] == "eddsa-jcs-2022"
    assert value.startswith("z")
    proof["@context"] = document["@context"]
    hash_data = (
        hashlib.sha256(jcs(proof).encode()).digest()
        + hashlib.sha256(jcs(document).encode()).digest()
    )
    public = public_key_from_did(did_doc, credential["proof"]["verificationMethod"])
    return ed25519_verify(public, hash_data, b58decode(value[1:]))


# --- fixtures ---------------------------------------------------------------------------


@pytest.fixture
def holder(db):
    return TraineeFactory(name=NAME, id_number=ID_NUMBER, user=UserFactory())


@pytest.fixture(autouse=True)
def _public_site(settings):
    settings.PUBLIC_BASE_URL = "https://qianjitong.example.gov.cn"
    cache.delete(status_list.CREDENTIAL_CACHE_KEY)
    yield
    cache.delete(status_list.CREDENTIAL_CACHE_KEY)


def test_the_independent_ed25519_is_rfc_8032():
    # RFC 8032 section 7.1, TEST 2.
    public = bytes.fromhex(
        "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c"
    )
    signature = bytes.fromhex(
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
        "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"
    )
    assert ed25519_verify(public, b"\x72", signature)
    assert not ed25519_verify(public, b"\x73", signature)


def test_the_canonicaliser_agrees_with_rfc_8785_examples():
    value = {"b": [1, "\u20ac", "\n\x0f"], "a": {"z": None, "y": True}, "é": "中文"}
    expected = '{"a":{"y":true,"z":null},"b":[1,"€","\\n\\u000f"],"é":"中文"}'
    assert credentials.canonical_json(value) == expected == jcs(value)
    # UTF-16 order, not code point order: U+1F600 (0xD83D 0xDE00) before U+FB01.
    mixed = {"\ufb01": 1, "\U0001f600": 2}
    assert credentials.canonical_json(mixed) == '{"\U0001f600":2,"\ufb01":1}'
    assert jcs(mixed) == credentials.canonical_json(mixed)
    with pytest.raises(ValueError):
        credentials.canonical_json({"a": 1.5})


# --- the credential ---------------------------------------------------------------------


def test_the_holder_downloads_a_credential_whose_proof_checks_independently(
    client, holder
):
    certificate = make_certificate(
        trainee=holder, expires_on=datetime.date(2031, 2, 28)
    )
    client.force_login(holder.user)

    response = client.get(f"/me/certificates/{certificate.token}/credential.json")

    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        f'attachment; filename="{certificate.number}.credential.json"'
    )
    credential = response.json()
    did_doc = client.get("/.well-known/did.json").json()
    assert independently_verified(credential, did_doc)
    assert credentials.verify_proof(credential)

    assert credential["@context"] == [
        "https://www.w3.org/ns/credentials/v2",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    ]
    assert credential["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert credential["issuer"]["id"] == "did:web:qianjitong.example.gov.cn"
    assert credential["proof"]["verificationMethod"] == (
        "did:web:qianjitong.example.gov.cn#s2"
    )
    assert credential["validFrom"] == "2026-03-01T00:00:00+08:00"
    assert credential["validUntil"] == "2031-02-28T23:59:59+08:00"
    subject = credential["credentialSubject"]
    assert subject["certificateNumber"] == certificate.number
    assert subject["achievement"]["humanCode"] == "6-31-01-03"
    assert subject["achievement"]["fieldOfStudy"] == "电工"
    assert subject["achievement"]["specialization"] == "四级/中级工"
    assert "职业技能等级证书" in subject["achievement"]["name"]
    text = response.content.decode()
    assert "王**" in text
    assert NAME not in text and ID_NUMBER not in text  # masked only
    status = credential["credentialStatus"]
    assert status["type"] == "BitstringStatusListEntry"
    assert status["statusListIndex"] == str(certificate.pk)
    assert status["statusListCredential"] == (
        "https://qianjitong.example.gov.cn/.well-known/certificate-status-list.json"
    )


@pytest.mark.parametrize(
    "change",
    [
        lambda c: c["credentialSubject"].__setitem__("certificateNumber", "X1"),
        lambda c: c["credentialSubject"]["achievement"].__setitem__(
            "specialization", "一级"
        ),
        lambda c: c.__setitem__("validUntil", "2099-12-31T23:59:59+08:00"),
        lambda c: c["credentialStatus"].__setitem__("statusListIndex", "999999"),
        lambda c: c["proof"].__setitem__("created", "2020-01-01T00:00:00Z"),
        lambda c: c["proof"].__setitem__(
            "proofValue", c["proof"]["proofValue"][:-1] + "1"
        ),
    ],
    ids=["number", "level", "validUntil", "status", "proof-created", "proofValue"],
)
def test_one_changed_field_fails_the_proof(client, holder, change):
    certificate = make_certificate(
        trainee=holder, expires_on=datetime.date(2031, 2, 28)
    )
    credential = client.get(f"/verify/{certificate.token}/credential.json").json()
    did_doc = client.get("/.well-known/did.json").json()
    assert independently_verified(credential, did_doc)

    forged = copy.deepcopy(credential)
    change(forged)

    assert forged != credential
    assert not independently_verified(forged, did_doc)
    assert not credentials.verify_proof(forged)


def test_only_valid_certificates_download_and_only_their_holder(client, holder):
    revoked = make_certificate(
        trainee=holder,
        n=2,
        status=CertificateStatus.REVOKED,
        revoked_at=timezone.now(),
        revoked_reason="材料不实",
    )
    other = make_certificate(
        trainee=TraineeFactory(id_number=make_id_number("520103")), n=3
    )

    assert client.get(f"/verify/{revoked.token}/credential.json").status_code == 404
    assert client.get("/verify/not-a-token/credential.json").status_code == 404
    client.force_login(holder.user)
    assert (
        client.get(f"/me/certificates/{revoked.token}/credential.json").status_code
        == 404
    )
    assert client.get(
        f"/me/certificates/{other.token}/credential.json"
    ).status_code == (404)


def test_the_pages_link_the_credential_and_say_how_to_check_it(client, holder):
    certificate = make_certificate(trainee=holder)

    page = client.get(f"/verify/{certificate.token}/").content.decode()
    assert 'href="credential.json"' in page
    assert "下载可验证凭证 (JSON)" in page
    assert "eddsa-jcs-2022" in page and "/.well-known/did.json" in page
    client.force_login(holder.user)
    mine = client.get(f"/me/certificates/{certificate.token}/").content.decode()
    assert f"/me/certificates/{certificate.token}/credential.json" in mine


def test_the_status_list_credential_carries_the_revocation_bit(client, holder):
    revoked = make_certificate(
        trainee=holder,
        n=2,
        status=CertificateStatus.REVOKED,
        revoked_at=timezone.now(),
        revoked_reason="材料不实",
    )
    valid = make_certificate(trainee=holder, n=3)

    document = client.get("/.well-known/certificate-status-list.json").json()
    did_doc = client.get("/.well-known/did.json").json()

    assert independently_verified(document, did_doc)
    assert document["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    subject = document["credentialSubject"]
    assert subject["statusPurpose"] == "revocation"
    encoded = subject["encodedList"]
    assert encoded.startswith("u")
    bits = gzip.decompress(
        base64.urlsafe_b64decode(encoded[1:] + "=" * (-len(encoded[1:]) % 4))
    )
    assert len(bits) * 8 >= 131_072

    def bit(i):
        return bits[i // 8] >> (7 - i % 8) & 1

    assert bit(revoked.pk) == 1
    assert bit(valid.pk) == 0
