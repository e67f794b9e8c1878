"""QR payload version 2 (issuer and status index) and version 1 compatibility."""

import datetime
from io import StringIO

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management import call_command

from certificates import selectors, signing
from certificates.signing import (
    QR_PARAM,
    check_signed,
    decode_payload,
    encode_payload,
    qr_text,
    safe_field,
    verify_qr_text,
)
from tests.certificates.test_signing import (
    S2_SEED,
    TOKEN,
    VERIFY_URL,
    b64url,
    make_payload,
    signed_value,
    unb64url,
)
from tests.certificates.test_verify import make_certificate

V1_FIELDS = [
    "1",
    TOKEN,
    "Y520100026001230000001",
    "skill_level",
    "6-18-02-04",
    "三级",
    "20261126",
    "20311125",
    "欧**",
]


def sign_raw(payload: bytes, kid: str = "s2", seed: bytes = S2_SEED) -> str:
    body = f"{kid}.{b64url(payload)}"
    signature = Ed25519PrivateKey.from_private_bytes(seed).sign(body.encode())
    return f"{body}.{b64url(signature)}"


def v1_qr_text() -> str:
    """A QR exactly as version 1 printed it (made here byte by byte, not by the code)."""
    return f"{VERIFY_URL}?{QR_PARAM}=" + sign_raw("|".join(V1_FIELDS).encode())


def test_version_2_payload_has_eleven_fields_ending_issuer_and_index():
    value = signed_value(qr_text(make_payload(), verify_url=VERIFY_URL))
    fields = unb64url(value.split(".")[1]).decode().split("|")

    assert fields[0] == "2"
    assert len(fields) == 11
    assert fields[9:] == ["贵阳市职业技能鉴定中心", "123456"]


def test_version_2_round_trip_keeps_issuer_and_index():
    payload = make_payload(status_index=0, issuer="")

    result = verify_qr_text(qr_text(payload, verify_url=VERIFY_URL))

    assert result.genuine is True
    assert result.payload == payload
    assert result.payload.version == "2"
    assert result.payload.status_index == 0


def test_a_printed_version_1_qr_still_verifies():
    result = verify_qr_text(v1_qr_text())

    assert result.genuine is True
    assert result.reason == "签名有效"
    assert result.payload.version == "1"
    assert result.payload.issuer == ""
    assert result.payload.status_index is None
    assert result.payload.number == "Y520100026001230000001"
    assert result.payload.holder == "欧**"
    assert result.payload.expires_on == datetime.date(2031, 11, 25)


def test_a_tampered_version_1_qr_is_refused():
    value = signed_value(v1_qr_text())
    kid, payload_b64, signature_b64 = value.split(".")
    forged = unb64url(payload_b64).replace("三级".encode(), "一级".encode())

    result = check_signed(TOKEN, f"{kid}.{b64url(forged)}.{signature_b64}")

    assert result.genuine is False
    assert result.reason == "签名无效：内容被篡改"


@pytest.mark.parametrize(
    "fields",
    [
        ["1", *V1_FIELDS[1:], "extra"],  # version 1 with version 2's length
        ["2", *V1_FIELDS[1:]],  # version 2 without issuer and index
        ["2", *V1_FIELDS[1:], "机构", "-1"],
        ["2", *V1_FIELDS[1:], "机构", "007"],
        ["2", *V1_FIELDS[1:], "机构", "1.5"],
        ["2", *V1_FIELDS[1:], "机构", ""],
        ["2", *V1_FIELDS[1:], "机构", "1" * 19],
        ["3", *V1_FIELDS[1:], "机构", "1"],
    ],
    ids=["v1-long", "v2-short", "negative", "zero-pad", "float", "empty", "huge", "v3"],
)
def test_wrong_shapes_signed_by_our_key_are_not_genuine(fields):
    payload = "|".join(fields).encode()

    assert decode_payload(payload) is None
    result = check_signed(TOKEN, sign_raw(payload))
    assert result.genuine is False
    assert result.reason == "格式错误：签名有效但内容无法识别"


@pytest.mark.parametrize("index", [None, -1, 1.0, "5", True])
def test_encoding_needs_a_non_negative_integer_index(index):
    with pytest.raises(ValueError, match="status_index"):
        encode_payload(make_payload(status_index=index))


def test_an_issuer_holding_the_separator_is_refused_and_safe_field_repairs_it():
    with pytest.raises(ValueError):
        encode_payload(make_payload(issuer="甲|乙"))

    name = safe_field("甲|乙\n丙")
    assert name == "甲｜乙 丙"
    payload = make_payload(issuer=name)
    assert decode_payload(encode_payload(payload)) == payload


def test_the_keys_document_describes_version_2():
    text = signing.public_keys_document()["format"]["payload"]

    assert "version ('2')" in text
    assert "status_index" in text
    assert "Version '1'" in text


def test_command_prints_a_version_1_qr():
    out = StringIO()
    call_command("verify_qr", v1_qr_text(), stdout=out)

    lines = out.getvalue().splitlines()
    assert lines[0] == "结果：真实"
    assert "发证机构：-" in lines
    assert "状态序号：-" in lines
    assert lines[-1] == "格式版本：1"


@pytest.mark.django_db
def test_a_certificates_qr_carries_its_issuer_and_primary_key():
    certificate = make_certificate()

    result = verify_qr_text(selectors.certificate_qr_text(certificate))

    assert result.genuine is True
    assert result.payload.status_index == certificate.pk
    assert result.payload.issuer == certificate.issuer_name


@pytest.mark.django_db
def test_the_verification_page_accepts_a_version_1_and_a_version_2_qr(client):
    certificate = make_certificate()
    v1 = [
        "1",
        certificate.token,
        certificate.number,
        certificate.kind,
        certificate.occupation_id,
        certificate.level,
        certificate.issued_on.strftime("%Y%m%d"),
        "",
        certificate.masked_holder_name,
    ]
    v2 = signed_value(selectors.certificate_qr_text(certificate))
    path = f"/verify/{certificate.token}/"

    for signed in (sign_raw("|".join(v1).encode()), v2):
        response = client.get(path, {QR_PARAM: signed})
        assert response.status_code == 200
        assert "二维码签名有效" in response.content.decode()
