"""Public verification: the QR page, the query form, the JSON API, keys, rate limit."""

import datetime as dt
import json
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone

from certificates import selectors
from certificates.models import (
    Certificate,
    CertificateStatus,
    IssueBasis,
    VerificationLog,
    VerificationOutcome,
    new_token,
)
from certificates.signing import QR_PARAM, verify_qr_text
from tests.factories import InstitutionFactory, TraineeFactory
from training_platform.reference.models import (
    CertificateKind,
    Occupation,
    Region,
    SkillLevel,
)

pytestmark = pytest.mark.django_db

NAME = "王小明"
ID_NUMBER = "11010519491231002X"


def make_certificate(trainee=None, n=1, **fields) -> Certificate:
    trainee = trainee or TraineeFactory(name=NAME, id_number=ID_NUMBER)
    issuer = fields.pop("issuer", None) or InstitutionFactory(
        name="贵阳职业技能评价中心"
    )
    values = {
        "number": f"S00005200000126{4}{n:06d}",
        "kind": CertificateKind.SKILL_LEVEL,
        "occupation": Occupation.objects.get(code="6-31-01-03"),
        "occupation_name": "电工",
        "level": SkillLevel.LEVEL_4,
        "trainee": trainee,
        "holder_name": trainee.name,
        "holder_id_masked": trainee.masked_id_number,
        "holder_id_hash": trainee.id_number_hash,
        "issuer": issuer,
        "issuer_name": issuer.name,
        "region": Region.objects.get(code="520100"),
        "issued_on": dt.date(2026, 3, 1),
        "basis": IssueBasis.EVALUATION,
        "fact_key": f"test:{n}:{new_token()}",
    }
    values.update(fields)
    return Certificate.objects.create(**values)


def verify_path(certificate) -> str:
    return f"/verify/{certificate.token}/"


# --- the page ------------------------------------------------------------------------


def test_valid_certificate_page_shows_public_facts_masked(client):
    certificate = make_certificate()
    response = client.get(verify_path(certificate))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-status="valid"' in html
    assert certificate.number in html
    assert "6-31-01-03" in html and "电工" in html
    assert "四级/中级工" in html
    assert "贵阳职业技能评价中心" in html
    assert "王**" in html
    assert NAME not in html
    assert ID_NUMBER not in html and ID_NUMBER[6:14] not in html
    assert "11**************2X" in html  # masked: two characters at each end


def test_expired_revoked_and_superseded_states(client):
    expired = make_certificate(n=1, expires_on=dt.date(2026, 3, 2))
    trainee = expired.trainee
    revoked = make_certificate(
        trainee=trainee,
        n=2,
        status=CertificateStatus.REVOKED,
        revoked_at=timezone.make_aware(dt.datetime(2026, 5, 4, 10, 0)),
        revoked_reason="考核材料造假",
    )
    successor = make_certificate(trainee=trainee, n=3)
    superseded = make_certificate(
        trainee=trainee,
        n=4,
        status=CertificateStatus.SUPERSEDED,
        superseded_by=successor,
        superseded_at=timezone.now(),
    )
    html = client.get(verify_path(expired)).content.decode()
    assert 'data-status="expired"' in html and "2026-03-02" in html
    html = client.get(verify_path(revoked)).content.decode()
    assert 'data-status="revoked"' in html
    assert "2026-05-04" in html and "考核材料造假" in html
    html = client.get(verify_path(superseded)).content.decode()
    assert 'data-status="superseded"' in html
    assert successor.number in html and f"/verify/{successor.token}/" in html


def signed_get(client, certificate, **extra):
    """The page the certificate's printed (signed) QR opens."""
    text = selectors.certificate_qr_text(certificate)
    signed = parse_qs(urlsplit(text).query)[QR_PARAM][0]
    return client.get(urlsplit(text).path, {QR_PARAM: signed}, **extra)


def test_a_genuine_qr_of_a_revoked_certificate_is_not_good_news(client):
    certificate = make_certificate()
    text = selectors.certificate_qr_text(certificate)  # printed while valid
    Certificate.objects.filter(pk=certificate.pk).update(
        status=CertificateStatus.REVOKED,
        revoked_at=timezone.make_aware(dt.datetime(2026, 11, 30, 10, 0)),
        revoked_reason="考核材料造假",
    )
    signed = parse_qs(urlsplit(text).query)[QR_PARAM][0]
    html = client.get(urlsplit(text).path, {QR_PARAM: signed}).content.decode()
    assert 'data-status="revoked"' in html
    assert "二维码确由签发机构签发，但该证书已于 2026-11-30 撤销，不再有效。" in html
    assert "二维码签名有效" not in html and "signature-ok" not in html


def test_a_genuine_qr_of_a_superseded_certificate_names_its_successor(client):
    certificate = make_certificate(n=1)
    text = selectors.certificate_qr_text(certificate)
    successor = make_certificate(trainee=certificate.trainee, n=2)
    Certificate.objects.filter(pk=certificate.pk).update(
        status=CertificateStatus.SUPERSEDED,
        superseded_by=successor,
        superseded_at=timezone.now(),
    )
    signed = parse_qs(urlsplit(text).query)[QR_PARAM][0]
    html = client.get(urlsplit(text).path, {QR_PARAM: signed}).content.decode()
    assert 'data-status="superseded"' in html
    assert (
        f"二维码确由签发机构签发，但该证书已被新证书 {successor.number} 替代，不再有效。"
        in html
    )
    assert "二维码签名有效" not in html


def test_a_genuine_qr_of_an_expired_certificate_says_it_has_lapsed(client):
    certificate = make_certificate(expires_on=dt.date(2026, 3, 2))
    html = signed_get(client, certificate).content.decode()
    assert 'data-status="expired"' in html
    assert (
        "二维码确由签发机构签发，但该证书有效期已于 2026-03-02 届满，不再有效。" in html
    )
    assert "二维码签名有效" not in html


def test_the_revoked_page_in_english(client):
    certificate = make_certificate()
    text = selectors.certificate_qr_text(certificate)
    Certificate.objects.filter(pk=certificate.pk).update(
        status=CertificateStatus.REVOKED,
        revoked_at=timezone.make_aware(dt.datetime(2026, 11, 30, 10, 0)),
        revoked_reason="考核材料造假",
    )
    signed = parse_qs(urlsplit(text).query)[QR_PARAM][0]
    html = client.get(
        urlsplit(text).path, {QR_PARAM: signed}, HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "genuine" in html and "2026-11-30" in html and "no longer valid" in html


@pytest.mark.parametrize(
    "token", ["A" * 22, "short", "x" * 200, "%00", "AAAAAAAAAAAAAAAAAAAAA!"]
)
def test_unknown_and_malformed_tokens_get_the_same_answer(client, token):
    response = client.get(f"/verify/{token}/")
    assert response.status_code == 404
    assert "未找到该证书" in response.content.decode()


def test_unknown_and_malformed_answers_are_identical(client):
    unknown = client.get(f"/verify/{new_token()}/")
    malformed = client.get("/verify/not-a-token/")
    assert unknown.status_code == malformed.status_code == 404

    def main(response):  # the page less the language switch, which echoes the path
        html = response.content.decode()
        return html[html.index("<main") : html.index("</main>")]

    assert main(unknown) == main(malformed)


def test_signed_qr_is_genuine_and_a_tampered_one_never_shows_as_valid(client):
    certificate = make_certificate()
    text = selectors.certificate_qr_text(certificate)
    path = urlsplit(text).path
    signed = parse_qs(urlsplit(text).query)[QR_PARAM][0]
    ok = client.get(path, {QR_PARAM: signed})
    assert ok.status_code == 200
    assert "二维码签名有效" in ok.content.decode()
    # Change one character in the middle of the signed part.
    i = len(signed) // 2
    forged = signed[:i] + ("A" if signed[i] != "A" else "B") + signed[i + 1 :]
    bad = client.get(path, {QR_PARAM: forged})
    html = bad.content.decode()
    assert bad.status_code == 404
    assert "二维码签名无效" in html
    assert 'data-status="valid"' not in html
    log = VerificationLog.objects.order_by("-id").first()
    assert log.outcome == "tampered" and log.signature is False


def test_a_genuine_payload_for_another_certificate_is_not_genuine(client):
    one = make_certificate(n=1)
    other = make_certificate(trainee=one.trainee, n=2)
    signed = parse_qs(urlsplit(selectors.certificate_qr_text(one)).query)[QR_PARAM][0]
    response = client.get(verify_path(other), {QR_PARAM: signed})
    assert response.status_code == 404
    assert "二维码签名无效" in response.content.decode()


def test_qr_text_checks_offline_and_points_to_the_page(settings):
    settings.PUBLIC_BASE_URL = "https://jn.example.gov.cn"
    certificate = make_certificate()
    text = selectors.certificate_qr_text(certificate)
    assert text.startswith(f"https://jn.example.gov.cn/verify/{certificate.token}/?")
    check = verify_qr_text(text)
    assert check.genuine
    assert check.payload.number == certificate.number
    assert check.payload.holder == "王**"


# --- logging and queries -----------------------------------------------------------------


def test_every_verification_is_logged_without_personal_data(client):
    certificate = make_certificate()
    client.get(verify_path(certificate), REMOTE_ADDR="203.0.113.9")
    client.get(f"/api/v1/certificates/{certificate.token}")
    client.get("/verify/nope/")
    logs = list(VerificationLog.objects.order_by("id"))
    assert [(x.channel, x.outcome) for x in logs] == [
        ("page", "valid"),
        ("api", "valid"),
        ("page", "not_found"),
    ]
    assert logs[0].client_ip == "203.0.113.9"
    assert logs[0].asked == certificate.token and logs[0].certificate == certificate
    assert logs[2].certificate is None


@pytest.mark.parametrize("state", ["valid", "superseded", "signed"])
def test_verification_uses_at_most_two_queries(client, state):
    certificate = make_certificate(n=1)
    params = {}
    if state == "superseded":
        successor = make_certificate(trainee=certificate.trainee, n=2)
        Certificate.objects.filter(pk=certificate.pk).update(
            status=CertificateStatus.SUPERSEDED,
            superseded_by=successor,
            superseded_at=timezone.now(),
        )
    if state == "signed":
        text = selectors.certificate_qr_text(certificate)
        params = {QR_PARAM: parse_qs(urlsplit(text).query)[QR_PARAM][0]}
    for url in (verify_path(certificate), f"/api/v1/certificates/{certificate.token}"):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url, params)
        assert response.status_code == 200
        assert len(queries) <= 2, [q["sql"] for q in queries]


# --- the API -----------------------------------------------------------------------------


def test_api_returns_the_public_view_only(client):
    certificate = make_certificate(expires_on=dt.date(2099, 1, 1))
    response = client.get(f"/api/v1/certificates/{certificate.token}")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "valid"
    assert body["number"] == certificate.number
    assert body["occupation_code"] == "6-31-01-03"
    assert body["level"] == "4"
    assert body["holder_name"] == "王**"
    assert body["holder_id"] == certificate.holder_id_masked
    assert set(body) == {
        "status",
        "status_label",
        "number",
        "kind",
        "kind_label",
        "occupation_code",
        "occupation_name",
        "level",
        "level_label",
        "issuer",
        "issued_on",
        "expires_on",
        "holder_name",
        "holder_id",
        "revoked_on",
        "revoked_reason",
        "superseded_by_number",
        "superseded_by_url",
    }
    text = json.dumps(body, ensure_ascii=False)
    assert NAME not in text and ID_NUMBER not in text and "token" not in body


def test_api_unknown_and_malformed_have_the_same_shape(client):
    a = client.get(f"/api/v1/certificates/{new_token()}")
    b = client.get("/api/v1/certificates/garbage")
    assert a.status_code == b.status_code == 404
    assert a.json() == b.json() == {"detail": "not_found", "message": "未找到该证书。"}


def test_api_reports_signature(client):
    certificate = make_certificate()
    text = selectors.certificate_qr_text(certificate)
    signed = parse_qs(urlsplit(text).query)[QR_PARAM][0]
    body = client.get(
        f"/api/v1/certificates/{certificate.token}", {QR_PARAM: signed}
    ).json()
    assert body["signature"]["genuine"] is True
    body = client.get(
        f"/api/v1/certificates/{certificate.token}", {QR_PARAM: signed[:-3] + "AAA"}
    ).json()
    assert body["signature"]["genuine"] is False
    assert body["detail"] == "tampered" and "status" not in body


# --- the query by number + name + ID -------------------------------------------------------


def test_query_by_number_name_and_id(client):
    certificate = make_certificate()
    response = client.post(
        "/verify/",
        {
            "number": certificate.number.lower(),
            "name": NAME,
            "id_number": ID_NUMBER.lower(),
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-status="valid"' in html and certificate.number in html
    assert ID_NUMBER not in html and NAME not in html
    log = VerificationLog.objects.get()
    assert log.channel == "query" and log.asked == certificate.number


@pytest.mark.parametrize(
    "field,value", [("name", "王小红"), ("id_number", "110105194912310038")]
)
def test_query_needs_all_three_to_match(client, field, value):
    certificate = make_certificate()
    data = {"number": certificate.number, "name": NAME, "id_number": ID_NUMBER}
    data[field] = value
    response = client.post("/verify/", data)
    assert response.status_code == 404
    assert "未找到该证书" in response.content.decode()


FULL_WIDTH = str.maketrans({c: chr(ord(c) + 0xFEE0) for c in "0123456789X"})


@pytest.mark.parametrize(
    "typed",
    [
        ID_NUMBER,
        ID_NUMBER.lower(),
        ID_NUMBER.translate(FULL_WIDTH),
        f"{ID_NUMBER[:6]} {ID_NUMBER[6:14]} {ID_NUMBER[14:]}",
        f"证号{ID_NUMBER}",
        ID_NUMBER[:17],
    ],
)
def test_an_id_number_typed_as_the_certificate_number_is_not_kept(client, typed):
    """People type their ID into the first field; the log and its export keep no ID."""
    make_certificate()
    response = client.post(
        "/verify/", {"number": typed, "name": NAME, "id_number": ID_NUMBER}
    )
    assert response.status_code == 404
    log = VerificationLog.objects.get()
    assert log.channel == "query"
    assert ID_NUMBER[6:14] not in log.asked and ID_NUMBER[:17] not in log.asked
    assert "*" in log.asked
    assert ID_NUMBER[6:14] not in response.content.decode()  # nor echoed back


def test_an_id_number_put_in_place_of_a_token_is_not_kept(client):
    make_certificate()
    client.get(f"/verify/{ID_NUMBER}/")
    client.get(f"/api/v1/certificates/{ID_NUMBER}")
    asked = list(VerificationLog.objects.values_list("asked", flat=True))
    assert len(asked) == 2
    assert all(ID_NUMBER[6:14] not in a for a in asked)


def test_a_mistyped_certificate_number_is_kept_as_typed(client):
    certificate = make_certificate()
    typo = certificate.number[:-1] + "X"
    client.post("/verify/", {"number": typo, "name": NAME, "id_number": ID_NUMBER})
    assert VerificationLog.objects.get().asked == typo


def test_query_form_renders_and_refuses_blank(client):
    assert client.get("/verify/").status_code == 200
    response = client.post("/verify/", {"number": "", "name": "", "id_number": ""})
    assert response.status_code == 400
    assert not VerificationLog.objects.exists()


# --- rate limit --------------------------------------------------------------------------


@override_settings(CERTIFICATE_VERIFY_RATE="3/60")
def test_rate_limit_answers_429_with_retry_after(client):
    cache.clear()
    certificate = make_certificate()
    for _ in range(3):
        assert client.get(verify_path(certificate)).status_code == 200
    page = client.get(verify_path(certificate))
    assert page.status_code == 429
    assert 1 <= int(page["Retry-After"]) <= 60
    api = client.get(f"/api/v1/certificates/{certificate.token}")
    assert api.status_code == 429 and api.json()["detail"] == "rate_limited"
    # Another client is not affected, and refused requests are not logged.
    other = client.get(verify_path(certificate), REMOTE_ADDR="198.51.100.7")
    assert other.status_code == 200
    assert VerificationLog.objects.count() == 4
    cache.clear()


# --- keys --------------------------------------------------------------------------------


def test_public_keys_document(client):
    response = client.get("/.well-known/certificate-keys.json")
    assert response.status_code == 200
    body = response.json()
    text = json.dumps(body)
    assert "s1" in text and "s2" in text
    assert "max-age" in response["Cache-Control"]


def test_openapi_document_describes_the_verification_endpoint(client):
    body = client.get("/api/v1/openapi.json").json()
    assert body["openapi"].startswith("3.")
    operation = body["paths"]["/certificates/{token}"]["get"]
    assert set(operation["responses"]) == {"200", "404", "429"}
    schema = body["components"]["schemas"]["CertificateVerification"]
    # The document and the API agree on the fields.
    certificate = make_certificate()
    answer = client.get(f"/api/v1/certificates/{certificate.token}").json()
    assert set(answer) <= set(schema["properties"])
    assert set(schema["required"]) <= set(answer)


# --- the page's rendering shortcut (training_platform/skeleton.py) -------------------------


def _plain_render(request, certificate, signature, outcome):
    from django.template.loader import render_to_string

    found = certificate is not None and outcome != "tampered"
    return render_to_string(
        "certificates/verify.html",
        {
            "view": selectors.public_view(certificate) if found else None,
            "signature": signature,
            "outcome": outcome,
            "tampered": outcome == "tampered",
        },
        request,
    )


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_page_is_exactly_what_the_template_renders_in_every_state(client, language):
    from certificates.signing import check_signed

    trainee = TraineeFactory(name=NAME, id_number=ID_NUMBER)
    issuer = InstitutionFactory(name='评价中心 <b>"&</b>')  # escaping must match too
    successor = make_certificate(trainee=trainee, n=9, issuer=issuer)
    cases = [
        make_certificate(trainee=trainee, n=1, issuer=issuer),
        make_certificate(
            trainee=trainee,
            n=2,
            issuer=issuer,
            level="",
            expires_on=dt.date(2026, 3, 2),
        ),
        make_certificate(
            trainee=trainee,
            n=3,
            issuer=issuer,
            status=CertificateStatus.REVOKED,
            revoked_at=timezone.now(),
            revoked_reason="<script>alert(1)</script>",
        ),
        make_certificate(
            trainee=trainee,
            n=4,
            issuer=issuer,
            status=CertificateStatus.SUPERSEDED,
            superseded_by=successor,
            superseded_at=timezone.now(),
        ),
    ]
    client.cookies["django_language"] = language
    for certificate in cases:
        signed = parse_qs(urlsplit(selectors.certificate_qr_text(certificate)).query)[
            QR_PARAM
        ][0]
        for params in ({}, {QR_PARAM: signed}, {QR_PARAM: signed[:-2] + "AA"}):
            for _ in range(2):  # the second answer comes from the cached pieces
                response = client.get(verify_path(certificate), params)
                verified = selectors.certificate_by_token(certificate.token)
                signature = (
                    check_signed(certificate.token, params[QR_PARAM])
                    if params
                    else None
                )
                outcome = (
                    "tampered"
                    if signature is not None and not signature.genuine
                    else verified.display_status()
                )
                expected = _plain_render(
                    response.wsgi_request, verified, signature, outcome
                )
                assert response.content.decode() == expected
        assert (
            "<script>alert(1)</script>"
            not in client.get(verify_path(cases[2])).content.decode()
        )
    for token in (new_token(), "bad"):
        response = client.get(f"/verify/{token}/")
        assert response.content.decode() == _plain_render(
            response.wsgi_request, None, None, "not_found"
        )


def test_the_page_speaks_english_when_asked(client):
    certificate = make_certificate(
        status=CertificateStatus.REVOKED,
        revoked_at=timezone.make_aware(dt.datetime(2026, 5, 4, 10, 0)),
        revoked_reason="材料不实",
    )
    client.cookies["django_language"] = "en"
    html = client.get(verify_path(certificate)).content.decode()
    assert "Certificate status" in html
    assert "Revoked on 2026-05-04. Reason: 材料不实" in html
    assert "证书状态" not in html


def test_rows_logged_before_masking_are_cleaned_by_the_migration():
    """Rows an earlier version kept as typed lose their ID numbers; numbers stay."""
    import importlib

    from django.apps import apps

    certificate = make_certificate()
    full_width = ID_NUMBER.translate(
        str.maketrans("0123456789", "０１２３４５６７８９")
    )
    typed = [ID_NUMBER, full_width, "%35%32" + ID_NUMBER[2:], certificate.number]
    for asked in typed:
        VerificationLog.objects.create(
            channel="query", asked=asked, outcome=VerificationOutcome.NOT_FOUND
        )
    migration = importlib.import_module(
        "certificates.migrations.0004_scrub_verification_log_asked"
    )
    migration.scrub_asked(apps, None)
    kept = list(VerificationLog.objects.order_by("id").values_list("asked", flat=True))
    for asked in kept[:3]:
        assert ID_NUMBER[6:14] not in asked and "*" in asked
    assert kept[3] == certificate.number
