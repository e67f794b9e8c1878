"""certificates.signing: Ed25519-signed QR payloads that a tampered QR can never pass."""

import base64
import datetime
import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from certificates import signing
from certificates.signing import (
    QR_PARAM,
    QRPayload,
    check_signed,
    public_keys_document,
    qr_param_name,
    qr_text,
    verify_qr_text,
)
from training_platform.pdf import QUIET_ZONE, qr_matrix

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "Xk3vQ9pL2mN8rT5wY7zA1b"
VERIFY_URL = f"https://qianjitong.rst.guizhou.gov.cn/verify/{TOKEN}/"
# The test settings' second key (s2, active); the first (s1) only verifies.
S1_SEED = b"test-cert-signing-seed-one-32by!"
S2_SEED = b"test-cert-signing-seed-two-32by!"


def make_payload(**changes) -> QRPayload:
    fields = {
        "token": TOKEN,
        "number": "Y520100026001230000001",
        "kind": "skill_level",
        "occupation_code": "6-18-02-04",
        "level": "三级",
        "issued_on": datetime.date(2026, 11, 26),
        "expires_on": datetime.date(2031, 11, 25),
        "holder": "欧**",
        "issuer": "贵阳市职业技能鉴定中心",
        "status_index": 123456,
    }
    return QRPayload(**{**fields, **changes})


def signed_value(text: str) -> str:
    return text.partition(f"?{QR_PARAM}=")[2]


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def public_b64(seed: bytes) -> str:
    raw = Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes_raw()
    return base64.b64encode(raw).decode()


# --- round trip -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "payload",
    [
        make_payload(),
        make_payload(level="", expires_on=None),
        make_payload(kind="competition_award", holder="欧阳**", level="二级/技师"),
    ],
    ids=["full", "no-level-never-expires", "other-kind"],
)
def test_round_trip_returns_the_signed_payload(payload):
    text = qr_text(payload, verify_url=VERIFY_URL)

    result = verify_qr_text(text)

    assert result.genuine is True
    assert result.reason == "签名有效"
    assert result.key_id == "s2"
    assert result.payload == payload
    assert text.startswith(VERIFY_URL + f"?{QR_PARAM}=s2.")


def test_qr_text_is_short_enough_to_scan():
    # Version 1 made a version 13 QR (69 modules) for this certificate; version 2 adds
    # the issuer and the status index. With a long (24 character) issuer name and a
    # seven-digit index the QR is still version 15 at most: 77 modules plus the quiet
    # zone across the printed 42 mm is about 0.49 mm a module, well within a phone's
    # reach.
    long_issuer = "贵州省黔东南苗族侗族自治州职业技能鉴定指导中心"
    text = qr_text(
        make_payload(issuer=long_issuer, status_index=6_123_456), verify_url=VERIFY_URL
    )

    assert len(text) < 420
    assert text.isascii()
    modules = len(qr_matrix(text)) - 2 * QUIET_ZONE
    assert modules <= 77  # QR version 15 = 17 + 4 × 15 modules


def test_check_signed_takes_the_parameter_and_the_path_token():
    value = signed_value(qr_text(make_payload(), verify_url=VERIFY_URL))

    assert check_signed(TOKEN, value).genuine is True
    assert qr_param_name() == QR_PARAM


def test_existing_query_string_is_kept():
    text = qr_text(make_payload(), verify_url=VERIFY_URL + "?lang=zh")

    assert "?lang=zh&s=s2." in text
    assert verify_qr_text(text).genuine is True


def test_qr_text_refuses_a_url_for_another_token():
    with pytest.raises(ValueError, match="must end with"):
        qr_text(make_payload(), verify_url="https://example.org/verify/other/")


@pytest.mark.parametrize("field", ["number", "holder", "kind", "level"])
def test_fields_holding_the_separator_are_refused(field):
    with pytest.raises(ValueError):
        qr_text(make_payload(**{field: "a|b"}), verify_url=VERIFY_URL)


# --- tampering --------------------------------------------------------------------------


def test_every_single_byte_change_of_the_payload_is_rejected():
    value = signed_value(qr_text(make_payload(), verify_url=VERIFY_URL))
    kid, payload_b64, signature_b64 = value.split(".")
    payload = unb64url(payload_b64)

    for index in range(len(payload)):
        for mask in (0x01, 0x80, 0xFF):
            forged = bytearray(payload)
            forged[index] ^= mask
            result = check_signed(TOKEN, f"{kid}.{b64url(forged)}.{signature_b64}")
            assert result.genuine is False, (index, mask)
            assert result.reason == "签名无效：内容被篡改"
            assert result.payload is None


def test_every_single_byte_change_of_the_signature_is_rejected():
    value = signed_value(qr_text(make_payload(), verify_url=VERIFY_URL))
    kid, payload_b64, signature_b64 = value.split(".")
    signature = unb64url(signature_b64)
    assert len(signature) == 64

    for index in range(len(signature)):
        for mask in (0x01, 0x80, 0xFF):
            forged = bytearray(signature)
            forged[index] ^= mask
            result = check_signed(TOKEN, f"{kid}.{payload_b64}.{b64url(forged)}")
            assert result.genuine is False, (index, mask)
            assert result.reason == "签名无效：内容被篡改"


def test_a_changed_field_re_encoded_is_rejected():
    value = signed_value(qr_text(make_payload(), verify_url=VERIFY_URL))
    kid, payload_b64, signature_b64 = value.split(".")
    forged = unb64url(payload_b64).replace("三级".encode(), "一级".encode())

    result = check_signed(TOKEN, f"{kid}.{b64url(forged)}.{signature_b64}")

    assert result.genuine is False
    assert result.reason == "签名无效：内容被篡改"


def test_the_key_id_is_covered_by_the_signature():
    value = signed_value(qr_text(make_payload(), verify_url=VERIFY_URL))

    result = check_signed(TOKEN, "s1" + value[2:])

    assert result.genuine is False
    assert result.reason == "签名无效：内容被篡改"
    assert result.key_id == "s1"


def test_a_payload_signed_by_a_foreign_key_under_our_key_id_is_rejected():
    forger = Ed25519PrivateKey.generate()
    body = f"s2.{b64url(signing.encode_payload(make_payload(level='一级')))}"
    forged = f"{body}.{b64url(forger.sign(body.encode()))}"

    assert check_signed(TOKEN, forged).reason == "签名无效：内容被篡改"


def test_token_in_the_path_must_match_the_payload():
    text = qr_text(make_payload(), verify_url=VERIFY_URL)
    moved = text.replace(f"/verify/{TOKEN}/", "/verify/AnotherCertificateToken1/")

    for result in (verify_qr_text(moved), check_signed("Another", signed_value(text))):
        assert result.genuine is False
        assert result.reason == "签名有效，但与网址中的证书不符"
        assert result.payload is None


def test_a_genuine_signature_over_an_unknown_format_is_not_genuine():
    body = f"s2.{b64url(b'3|something|else')}"
    key = Ed25519PrivateKey.from_private_bytes(S2_SEED)
    value = f"{body}.{b64url(key.sign(body.encode()))}"

    result = check_signed(TOKEN, value)

    assert result.genuine is False
    assert result.reason.startswith("格式错误")


# --- keys and rotation ------------------------------------------------------------------


def test_unknown_key_id(settings):
    settings.CERTIFICATE_SIGNING_KEYS = {"zz": b"z" * 32}
    settings.CERTIFICATE_SIGNING_ACTIVE_KEY = "zz"
    text = qr_text(make_payload(), verify_url=VERIFY_URL)
    settings.CERTIFICATE_SIGNING_KEYS = {"s2": S2_SEED}
    settings.CERTIFICATE_SIGNING_ACTIVE_KEY = "s2"

    result = verify_qr_text(text)

    assert result.genuine is False
    assert result.reason == "未知的签名密钥"
    assert result.key_id == "zz"


def test_rotation_keeps_old_certificates_verifiable(settings):
    settings.CERTIFICATE_SIGNING_KEYS = {"a": S1_SEED}
    settings.CERTIFICATE_SIGNING_ACTIVE_KEY = "a"
    under_a = qr_text(make_payload(), verify_url=VERIFY_URL)

    # B becomes active; A stays in the ring.
    settings.CERTIFICATE_SIGNING_KEYS = {"a": S1_SEED, "b": S2_SEED}
    settings.CERTIFICATE_SIGNING_ACTIVE_KEY = "b"
    under_b = qr_text(make_payload(), verify_url=VERIFY_URL)
    assert verify_qr_text(under_a).key_id == "a"
    assert verify_qr_text(under_a).genuine is True
    assert verify_qr_text(under_b).key_id == "b"

    # A's private seed is destroyed; its public half is kept as retired.
    settings.CERTIFICATE_SIGNING_KEYS = {"b": S2_SEED}
    settings.CERTIFICATE_RETIRED_PUBLIC_KEYS = {
        "a": base64.b64decode(public_b64(S1_SEED))
    }
    assert verify_qr_text(under_a).genuine is True
    assert verify_qr_text(under_b).genuine is True

    # A is gone entirely.
    settings.CERTIFICATE_RETIRED_PUBLIC_KEYS = {}
    result = verify_qr_text(under_a)
    assert result.genuine is False
    assert result.reason == "未知的签名密钥"
    assert verify_qr_text(under_b).genuine is True


def test_a_retired_key_never_signs(settings):
    settings.CERTIFICATE_SIGNING_KEYS = {"b": S2_SEED}
    settings.CERTIFICATE_SIGNING_ACTIVE_KEY = "a"
    settings.CERTIFICATE_RETIRED_PUBLIC_KEYS = {
        "a": base64.b64decode(public_b64(S1_SEED))
    }

    with pytest.raises(ImproperlyConfigured, match="CERTIFICATE_SIGNING_ACTIVE_KEY"):
        qr_text(make_payload(), verify_url=VERIFY_URL)


@pytest.mark.parametrize(
    ("keys", "active", "retired", "expected"),
    [
        ({"s1": S1_SEED}, "missing", {}, "must contain CERTIFICATE_SIGNING_ACTIVE_KEY"),
        ({}, None, {}, "must contain CERTIFICATE_SIGNING_ACTIVE_KEY"),
        ({"s1": b"short"}, "s1", {}, "must be 32 bytes"),
        ({"s1": S1_SEED}, "s1", {"old": b"x" * 31}, "must be 32 bytes"),
        ({"s.1": S1_SEED}, "s.1", {}, "key id 's.1'"),
        ({"s1": S1_SEED}, "s1", {"s1": b"x" * 32}, "in both"),
    ],
    ids=["active-missing", "empty", "short-seed", "short-public", "bad-id", "both"],
)
def test_misconfigured_keys_fail_loudly(settings, keys, active, retired, expected):
    settings.CERTIFICATE_SIGNING_KEYS = keys
    settings.CERTIFICATE_SIGNING_ACTIVE_KEY = active
    settings.CERTIFICATE_RETIRED_PUBLIC_KEYS = retired

    errors = signing.check_signing_keys()

    assert [e.id for e in errors][:1] == ["certificates.E001"]
    assert any(expected in e.msg for e in errors)
    with pytest.raises(ImproperlyConfigured, match=expected):
        qr_text(make_payload(), verify_url=VERIFY_URL)


def test_the_test_settings_pass_the_system_check():
    assert signing.check_signing_keys() == []


# --- garbage in, a plain answer out -----------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "garbage",
        "https://example.org/",
        f"https://example.org/verify/{TOKEN}/",
        f"https://example.org/verify/{TOKEN}/?s=",
        f"https://example.org/verify/{TOKEN}/?s=a.b.c",
        f"https://example.org/verify/{TOKEN}/?s=s2.!!!.???",
        f"https://example.org/verify/{TOKEN}/?s=s2.MXx8.AAAA",
        f"https://example.org/verify/{TOKEN}/?s=s2..{'A' * 86}",
        f"https://example.org/verify/{TOKEN}/?s=s2.MXx8.{'A' * 85}",
        f"https://example.org/verify/{TOKEN}/?s=s2.a.b.c",
        f"https://example.org/verify/{TOKEN}/?s=s2.x.y&s=s2.x.y",
        "https://example.org/verify/bad%20token/?s=s2.x.y",
        "https://example.org/verify//?s=s2.x.y",
        "http://[::1/verify/abc/?s=s2.x.y",
        "https://example.org/verify/abc/?" + "&".join(f"p{i}=1" for i in range(50)),
        f"https://example.org/verify/{TOKEN}/?s=" + "A" * 5000,
        "https://example.org/verify/abc/?s=" + "A." * 400_000,
        "\x00\xff\ud800",
        None,
        b"https://example.org/verify/abc/?s=s2.x.y",
        12345,
    ],
)
def test_garbage_is_refused_without_raising(text):
    result = verify_qr_text(text)

    assert result.genuine is False
    assert result.payload is None
    assert result.reason.startswith(("格式错误", "签名无效", "未知的签名密钥"))


@pytest.mark.parametrize(
    ("token", "value"),
    [
        (TOKEN, ""),
        (TOKEN, "..."),
        (TOKEN, "s2.%%%.%%%"),
        (TOKEN, "s2.MXx8"),
        (TOKEN, "x" * 100_000),
        (None, "s2.a.b"),
        (TOKEN, None),
        (TOKEN, "é.a.b"),
    ],
)
def test_check_signed_refuses_garbage(token, value):
    result = check_signed(token, value)

    assert result.genuine is False
    assert result.reason.startswith(("格式错误", "未知的签名密钥"))


@hypothesis_settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_arbitrary_text_never_raises(text):
    assert verify_qr_text(text).genuine is False
    assert verify_qr_text(f"https://h/verify/{TOKEN}/?s={text}").genuine is False


@hypothesis_settings(max_examples=300, deadline=None)
@given(
    st.from_regex(r"\A[A-Za-z0-9_-]{1,4}\.[A-Za-z0-9_-]{0,150}\.[A-Za-z0-9_-]{0,90}\Z")
)
def test_well_shaped_forgeries_never_pass(value):
    assert check_signed(TOKEN, value).genuine is False


# --- the published keys -----------------------------------------------------------------


def test_public_keys_document_lists_every_key(settings):
    retired = base64.b64decode(public_b64(b"r" * 32))
    settings.CERTIFICATE_RETIRED_PUBLIC_KEYS = {"old": retired}

    document = json.loads(json.dumps(public_keys_document()))

    assert document["algorithm"] == "Ed25519"
    assert document["active"] == "s2"
    assert document["keys"] == {
        "old": public_b64(b"r" * 32),
        "s1": public_b64(S1_SEED),
        "s2": public_b64(S2_SEED),
    }
    assert document["retired"] == ["old"]
    assert "YYYYMMDD" in document["format"]["payload"]


def test_an_offline_verifier_built_from_the_document_accepts_the_qr():
    document = public_keys_document()
    text = qr_text(make_payload(), verify_url=VERIFY_URL)

    # What an auditor's script would do, knowing only the document.
    value = signed_value(text)
    signed_part, _, signature_b64 = value.rpartition(".")
    kid, _, payload_b64 = signed_part.partition(".")
    key = Ed25519PublicKey.from_public_bytes(base64.b64decode(document["keys"][kid]))
    key.verify(unb64url(signature_b64), signed_part.encode("ascii"))
    fields = unb64url(payload_b64).decode("utf-8").split("|")

    assert fields == [
        "2",
        TOKEN,
        "Y520100026001230000001",
        "skill_level",
        "6-18-02-04",
        "三级",
        "20261126",
        "20311125",
        "欧**",
        "贵阳市职业技能鉴定中心",
        "123456",
    ]


# --- manage.py verify_qr ----------------------------------------------------------------


def run_command(*args) -> tuple[int, str]:
    out = StringIO()
    try:
        call_command("verify_qr", *args, stdout=out)
    except SystemExit as exc:
        return exc.code, out.getvalue()
    return 0, out.getvalue()


def test_command_prints_a_genuine_qr_and_exits_0():
    code, output = run_command(qr_text(make_payload(), verify_url=VERIFY_URL))

    assert code == 0
    assert output.splitlines() == [
        "结果：真实",
        "原因：签名有效",
        "密钥：s2",
        f"验证码：{TOKEN}",
        "证书编号：Y520100026001230000001",
        "证书类型：skill_level",
        "职业编码：6-18-02-04",
        "等级：三级",
        "发证日期：2026-11-26",
        "有效期至：2031-11-25",
        "持证人：欧**",
        "发证机构：贵阳市职业技能鉴定中心",
        "状态序号：123456",
        "格式版本：2",
    ]


def test_command_exits_1_for_a_tampered_qr():
    text = qr_text(make_payload(), verify_url=VERIFY_URL)
    tampered = text[:-3] + ("AAA" if not text.endswith("AAA") else "BBB")

    code, output = run_command(tampered)

    assert code == 1
    assert output.splitlines() == [
        "结果：不可信",
        "原因：签名无效：内容被篡改",
        "密钥：s2",
    ]


def test_command_json_and_stdin(monkeypatch):
    text = qr_text(make_payload(expires_on=None), verify_url=VERIFY_URL)
    monkeypatch.setattr("sys.stdin", StringIO(text + "\n"))

    code, output = run_command("-", "--json")

    assert code == 0
    data = json.loads(output)
    assert data["genuine"] is True
    assert data["key_id"] == "s2"
    assert data["payload"]["issued_on"] == "2026-11-26"
    assert data["payload"]["expires_on"] is None


def test_command_exit_code_from_the_shell():
    # call_command shows the SystemExit; this shows manage.py turns it into status 1.
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "training_platform.settings.test"}

    result = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "verify_qr", "not a qr"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 1, result.stderr
    assert result.stdout.splitlines()[:2] == [
        "结果：不可信",
        "原因：格式错误：网址中没有证书验证码",
    ]
