"""The signed revocation list: format, signature, size at province scale, freshness."""

import base64
import datetime
import gzip
import json
import random

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from certificates import selectors, services, status_list
from certificates.signing import public_keys_document, verify_qr_text
from courses.models import ClassStatus
from tests.certificates.test_services import issue_training
from tests.certificates.test_verify import make_certificate
from tests.factories import (
    CourseFactory,
    InstitutionFactory,
    TrainingClassFactory,
    passed_enrolment,
    region,
    staff_user,
)
from training_platform.roles import Role

URL = "/.well-known/certificate-revocations.json"
DAY = datetime.date(2026, 5, 4)
NOW = datetime.datetime(2026, 12, 1, 8, 0, tzinfo=datetime.UTC)


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def document_for(rows, size=status_list.MIN_SIZE, ttl=3600):
    body = status_list.build_body(
        rows, size=size, issued_at=NOW, ttl=ttl, issuer="https://example.gov.cn"
    )
    return status_list.sign_body(body)


@pytest.fixture
def gy_inst(db):
    return InstitutionFactory(region=region("520102"))


@pytest.fixture
def gy_staff(gy_inst):
    return staff_user(Role.INSTITUTION, institution=gy_inst)


@pytest.fixture
def issued(gy_inst, gy_staff):
    training_class = TrainingClassFactory(
        course=CourseFactory(institution=gy_inst, hours=80),
        status=ClassStatus.RUNNING,
    )
    return issue_training(gy_staff, passed_enrolment(training_class=training_class))


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.delete(status_list.CACHE_KEY)
    yield
    cache.delete(status_list.CACHE_KEY)


# --- format -----------------------------------------------------------------------------


def test_the_document_follows_the_contract():
    rows = [(5, DAY, "R"), (0, DAY, "S"), (131_071, datetime.date(2027, 1, 2), "R")]
    document = document_for(rows)

    assert set(document) == {"format", "kid", "signed", "signature"}
    assert document["format"] == "qjt-revocations/1"
    assert document["kid"] == "s2"
    body = json.loads(unb64url(document["signed"]))
    assert body["issued_at"] == "2026-12-01T08:00:00Z"
    assert body["ttl_seconds"] == 3600
    assert body["size"] == 131_072
    assert body["issuer"] == "https://example.gov.cn"
    # An independent reading of the W3C bitstring: bit i from the MSB of byte 0.
    bits = gzip.decompress(unb64url(body["encodedList"]))
    assert len(bits) == 131_072 // 8
    assert bits[0] == 0b1000_0100  # indexes 0 and 5
    assert bits[-1] == 0b0000_0001  # index 131071
    assert sum(bin(b).count("1") for b in bits) == 3
    entries = gzip.decompress(unb64url(body["entries"])).decode()
    assert entries.splitlines() == [
        "0,20260504,S",
        "5,20260504,R",
        "131066,20270102,R",
    ]


def test_signature_verifies_with_the_published_key():
    document = document_for([(7, DAY, "R")])
    keys = public_keys_document()["keys"]

    # What an outside verifier does, knowing only the published keys document.
    key = Ed25519PublicKey.from_public_bytes(base64.b64decode(keys[document["kid"]]))
    key.verify(unb64url(document["signature"]), document["signed"].encode("ascii"))
    ok, body, reason = status_list.check_revocation_document(document)
    assert (ok, reason) == (True, "撤销列表签名有效")
    assert body["ttl_seconds"] == 3600


def one_changed(text: str, at: int) -> str:
    return text[:at] + ("B" if text[at] == "A" else "A") + text[at + 1 :]


@pytest.mark.parametrize("field", ["signed", "signature"])
def test_one_changed_character_fails(field):
    document = document_for([(7, DAY, "R"), (9, DAY, "S")])
    text = document[field]

    for at in (0, len(text) // 2, len(text) - 2):
        forged = {**document, field: one_changed(text, at)}
        ok, body, reason = status_list.check_revocation_document(forged)
        assert ok is False, at
        assert body is None
        assert reason.startswith(("撤销列表签名无效", "撤销列表格式错误"))


def test_a_bit_cleared_and_re_signed_by_another_key_fails():
    document = document_for([(7, DAY, "R")])
    body = json.loads(unb64url(document["signed"]))
    body["encodedList"] = status_list.encode_bits([], body["size"])
    body["entries"] = status_list.encode_entries([])
    forged_signed = b64url(json.dumps(body).encode())
    forged = {**document, "signed": forged_signed}

    assert (
        status_list.check_revocation_document(forged)[2]
        == "撤销列表签名无效：内容被篡改"
    )


def test_an_unknown_key_and_garbage_are_refused_without_raising():
    document = document_for([(7, DAY, "R")])
    for bad in (
        None,
        [],
        "text",
        {},
        {**document, "format": "other"},
        {**document, "kid": "nope"},
        {**document, "kid": "a.b"},
        {**document, "signed": 5},
        {**document, "signature": "!!"},
        {**document, "signed": ""},
    ):
        ok, body, reason = status_list.check_revocation_document(bad)
        assert ok is False and body is None
        assert reason.startswith("撤销列表")
    assert status_list.check_revocation_document({**document, "kid": "zz"})[2] == (
        "撤销列表的签名密钥未知"
    )


def test_status_of_finds_revoked_superseded_and_absent_indexes():
    ok, body, _ = status_list.check_revocation_document(
        document_for([(3, DAY, "R"), (1000, datetime.date(2026, 6, 1), "S")])
    )
    assert ok

    assert status_list.status_of(body, 3) == (DAY, "R")
    assert status_list.status_of(body, 1000) == (datetime.date(2026, 6, 1), "S")
    for absent in (0, 2, 4, 999, 1001, 131_071, 131_072, 10**9, -1):
        assert status_list.status_of(body, absent) is None
    # A plain body, as the JSON carries it, is decoded the same way.
    plain = json.loads(unb64url(document_for([(3, DAY, "R")])["signed"]))
    assert status_list.status_of(plain, 3) == (DAY, "R")


def test_an_entry_without_its_bit_is_refused(settings):
    body = status_list.build_body(
        [(3, DAY, "R")], size=131_072, issued_at=NOW, ttl=60, issuer="x"
    )
    body["encodedList"] = status_list.encode_bits([4], 131_072)
    ok, _, reason = status_list.check_revocation_document(status_list.sign_body(body))

    assert ok is False
    assert reason == "撤销列表格式错误：签名有效但内容无法识别"


def test_a_gzip_bomb_is_refused():
    body = status_list.build_body([], size=131_072, issued_at=NOW, ttl=60, issuer="x")
    body["entries"] = b64url(gzip.compress(b"0" * 10_000_000))
    ok, _, _ = status_list.check_revocation_document(status_list.sign_body(body))

    assert ok is False


# --- province scale ---------------------------------------------------------------------


def province_rows(count=600_000, changed=3_000, seed=15):
    """3,000 of 600,000 certificates revoked (30%) or superseded, uniformly spread over
    the indexes and over three years of dates: the worst case for compression."""
    rng = random.Random(seed)
    start = datetime.date(2024, 1, 1)
    return [
        (
            index,
            start + datetime.timedelta(days=rng.randrange(1096)),
            "R" if rng.random() < 0.3 else "S",
        )
        for index in rng.sample(range(1, count + 1), changed)
    ]


def test_the_list_for_600000_certificates_stays_under_32_kb_in_the_worst_case():
    rows = province_rows()
    size = status_list.list_size(600_000)
    document = document_for(rows, size=size)
    body = json.loads(unb64url(document["signed"]))
    text = json.dumps(document)

    assert size == 600_008
    # Measured: encodedList 6,467 characters (4,849 bytes of gzip), entries 16,968
    # (12,725 bytes of gzip), the whole document 31,568 bytes (22.7 KB gzipped by HTTP).
    assert len(body["encodedList"]) < 7 * 1024
    assert len(body["entries"]) < 17 * 1024
    assert len(text) < 32 * 1024
    assert len(gzip.compress(text.encode())) < 24 * 1024
    ok, checked, _ = status_list.check_revocation_document(document)
    assert ok
    for index, day, code in rows[:50]:
        assert status_list.status_of(checked, index) == (day, code)


# --- from the database, served, kept fresh -----------------------------------------------


@pytest.mark.django_db
def test_rows_come_from_one_values_list_query(django_assert_num_queries):
    revoked = make_certificate(n=1)
    superseded_by = make_certificate(n=2, trainee=revoked.trainee)
    make_certificate(n=3, trainee=revoked.trainee)  # valid: not listed
    moment = datetime.datetime(2026, 5, 3, 17, 30, tzinfo=datetime.UTC)  # 5-4 local
    type(revoked).objects.filter(pk=revoked.pk).update(
        status="revoked", revoked_at=moment, revoked_reason="x"
    )
    old = make_certificate(n=4, trainee=revoked.trainee)
    type(old).objects.filter(pk=old.pk).update(
        status="superseded", superseded_at=moment, superseded_by=superseded_by
    )

    with CaptureQueriesContext(connection) as queries:
        rows = status_list.revocation_rows()
    assert len(queries) == 1
    assert sorted(rows) == [(revoked.pk, DAY, "R"), (old.pk, DAY, "S")]

    with django_assert_num_queries(2):  # the rows and the size
        status_list.build_document()


@pytest.mark.django_db
def test_the_endpoint_serves_a_signed_cacheable_list(client):
    certificate = make_certificate()

    response = client.get(URL)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Access-Control-Allow-Origin"] == "*"
    cache_control = response["Cache-Control"]
    assert cache_control.startswith("public, max-age=")
    max_age = int(cache_control.rpartition("=")[2])
    assert 0 < max_age <= status_list.REGENERATE_AFTER <= 3600
    ok, body, _ = status_list.check_revocation_document(response.json())
    assert ok
    assert body["ttl_seconds"] == 3600
    assert body["size"] >= certificate.pk + 1
    assert status_list.status_of(body, certificate.pk) is None
    # Same list, same ETag: a re-check costs a 304.
    again = client.get(URL, HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304
    assert again["ETag"] == response["ETag"]


@pytest.mark.django_db
def test_the_ttl_comes_from_the_setting(client, settings):
    settings.CERTIFICATE_REVOCATIONS_TTL = 120

    response = client.get(URL)

    ok, body, _ = status_list.check_revocation_document(response.json())
    assert body["ttl_seconds"] == 120
    assert int(response["Cache-Control"].rpartition("=")[2]) <= 120


@pytest.mark.django_db
def test_the_list_is_served_from_the_cache(client, django_assert_num_queries):
    client.get(URL)
    with django_assert_num_queries(0):
        assert client.get(URL).status_code == 200


@pytest.mark.django_db
def test_revoke_then_the_next_get_shows_the_bit(
    client, gy_staff, issued, django_capture_on_commit_callbacks
):
    before = client.get(URL)
    ok, body, _ = status_list.check_revocation_document(before.json())
    assert ok and status_list.status_of(body, issued.pk) is None
    index = verify_qr_text(selectors.certificate_qr_text(issued)).payload.status_index
    assert index == issued.pk

    with django_capture_on_commit_callbacks(execute=True):
        services.certificate_revoke(actor=gy_staff, certificate=issued, reason="造假")

    after = client.get(URL)
    assert after["ETag"] != before["ETag"]
    ok, body, _ = status_list.check_revocation_document(after.json())
    assert ok
    day, code = status_list.status_of(body, index)
    assert code == "R"
    issued.refresh_from_db()
    assert day == selectors.timezone.localtime(issued.revoked_at).date()


@pytest.mark.django_db
def test_reissue_then_the_next_get_shows_the_old_one_superseded(
    client, gy_staff, issued, django_capture_on_commit_callbacks
):
    client.get(URL)

    with django_capture_on_commit_callbacks(execute=True):
        new = services.certificate_reissue(
            actor=gy_staff, certificate=issued, reason="姓名更正"
        )

    ok, body, _ = status_list.check_revocation_document(client.get(URL).json())
    assert status_list.status_of(body, issued.pk)[1] == "S"
    assert status_list.status_of(body, new.pk) is None
    assert body["size"] > new.pk
