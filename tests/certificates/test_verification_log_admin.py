"""核验记录 in the back-office: scoped, read-only, constant queries."""

import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from certificates.models import VerificationLog
from tests.certificates.admin_world import assert_denied, inspect_url, login

pytestmark = pytest.mark.django_db

URL = reverse("verificationlog:index")


def log(certificate, asked=None, outcome="valid", channel="page", signature=None):
    return VerificationLog.objects.create(
        channel=channel,
        asked=asked or certificate.token,
        certificate=certificate,
        outcome=outcome,
        signature=signature,
        client_ip="203.0.113.5",
    )


@pytest.fixture
def logs(world):  # noqa: F811
    return {
        "a": log(world["cert_a"]),
        "b": log(world["cert_b"]),
        "unknown": log(None, asked="ZZZZZZZZZZZZZZZZZZZZZZ", outcome="not_found"),
    }


@pytest.mark.parametrize(
    "who,seen,unseen",
    [
        ("auditor_gz", ["a", "b", "unknown"], []),
        ("bureau_gy", ["a"], ["b", "unknown"]),
        ("bureau_zy", ["b"], ["a", "unknown"]),
    ],
)
def test_logs_are_scoped_by_region(client, world, logs, who, seen, unseen):  # noqa: F811
    login(client, world, who)
    body = client.get(URL).content.decode()
    for key in seen:
        assert logs[key].asked in body
    for key in unseen:
        assert logs[key].asked not in body


@pytest.mark.parametrize("who", ["inst_a", "evaluator_a", "trainee", "anonymous"])
def test_other_roles_do_not_see_the_log(client, world, logs, who):  # noqa: F811
    login(client, world, who)
    response = client.get(URL)
    if response.status_code == 200:
        assert logs["a"].asked not in response.content.decode()
    else:
        assert_denied(response)


def test_no_edit_or_delete(client, world, logs):  # noqa: F811
    login(client, world, "auditor_gz")
    for name in ("verificationlog:edit", "verificationlog:delete"):
        assert_denied(client.get(reverse(name, args=[logs["a"].pk])))


def test_query_count_does_not_grow_with_logs(
    client,
    world,  # noqa: F811
    logs,
    django_assert_max_num_queries,
):
    login(client, world, "auditor_gz")
    client.get(URL)
    with CaptureQueriesContext(connection) as few:
        assert client.get(URL).status_code == 200
    baseline = len(few.captured_queries)
    for _ in range(20):
        log(world["cert_a"])
    with django_assert_max_num_queries(baseline):
        body = client.get(URL).content.decode()
    assert body.count("203.0.113.5") == 20  # a full page


# --- issue 16: the log serves auditors ------------------------------------------------


def index(client, **params):
    response = client.get(URL, params)
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def varied(world):  # noqa: F811
    """cert_a verified three ways, cert_b once, and a query that found nothing."""
    a, b = world["cert_a"], world["cert_b"]
    rows = {
        "a_signed": log(a, signature=True),
        "a_api": log(a, channel="api", asked="AAAAAAAAAAAAAAAAAAAA01"),
        "a_forged": log(
            a, asked="AAAAAAAAAAAAAAAAAAAA02", outcome="tampered", signature=False
        ),
        "b": log(b, asked="BBBBBBBBBBBBBBBBBBBB01"),
        "query_miss": log(None, channel="query", asked=a.number, outcome="not_found"),
    }
    return rows


def shown(body, rows):
    return {key for key, row in rows.items() if f'data-log="{row.pk}"' in body}


def test_search_by_the_full_certificate_number(client, world, varied):  # noqa: F811
    login(client, world, "auditor_gz")
    number = world["cert_a"].number
    # Typed as people type it: lower case, spaces, full-width characters.
    typed = " ".join(number.lower())
    for params in ({"number": number}, {"number": typed}, {"q": number}):
        body = index(client, **params)
        assert shown(body, varied) == {"a_signed", "a_api", "a_forged", "query_miss"}


def test_search_by_the_start_of_a_number(client, world, varied):  # noqa: F811
    login(client, world, "auditor_gz")
    a, b = world["cert_a"], world["cert_b"]
    common = 0
    while a.number[common] == b.number[common]:
        common += 1
    # A prefix only cert_a has, and one both share.
    body = index(client, number=a.number[: common + 1])
    assert shown(body, varied) == {"a_signed", "a_api", "a_forged", "query_miss"}
    body = index(client, number=a.number[:common])
    assert shown(body, varied) == set(varied)
    body = index(client, number="ZG5299")
    assert shown(body, varied) == set()
    assert "共 0 条" in body or "没有" in body


def test_rows_link_to_their_certificate(client, world, varied):  # noqa: F811
    login(client, world, "auditor_gz")
    body = index(client)
    assert body.count(f'href="{inspect_url(world["cert_a"])}"') == 3
    assert body.count(f'href="{inspect_url(world["cert_b"])}"') == 1


def test_verdicts_are_words(client, world, varied):  # noqa: F811
    login(client, world, "auditor_gz")
    body = index(client)
    start = body.index('<table class="listing')
    table = body[start : body.index("</table>", start)]
    for words in ("签名有效", "签名无效", "无签名", "未找到", "有效"):
        assert words in table
    # No bare booleans or icons in place of the signature verdict.
    for raw in ("True", "False", "None", "icon-tick", "icon-cross"):
        assert raw not in table


def test_names_are_masked_as_on_the_certificate_page(client, world, varied):  # noqa: F811
    login(client, world, "auditor_gz")
    body = index(client)
    certificate_page = client.get(inspect_url(world["cert_a"])).content.decode()
    a = world["cert_a"]
    masked = a.masked_holder_name
    assert masked in certificate_page and masked in body
    assert a.holder_name not in body and a.holder_name not in certificate_page
    assert world["cert_b"].masked_holder_name in body


def test_count_line(client, world, varied):  # noqa: F811
    login(client, world, "auditor_gz")
    assert "共 5 条" in index(client)
    assert "共 4 条" in index(client, number=world["cert_a"].number)


@pytest.mark.parametrize(
    "params,expected",
    [
        ({"signature": "valid"}, {"a_signed"}),
        ({"signature": "invalid"}, {"a_forged"}),
        ({"signature": "none"}, {"a_api", "b", "query_miss"}),
        ({"outcome": "not_found"}, {"query_miss"}),
        ({"outcome": "tampered"}, {"a_forged"}),
        ({"channel": "api"}, {"a_api"}),
        ({"channel": "query"}, {"query_miss"}),
    ],
)
def test_filters(client, world, varied, params, expected):  # noqa: F811
    login(client, world, "auditor_gz")
    assert shown(index(client, **params), varied) == expected


def test_filter_by_date_range(client, world, varied):  # noqa: F811
    login(client, world, "auditor_gz")
    old = varied["b"]
    VerificationLog.objects.filter(pk=old.pk).update(
        at=timezone.make_aware(dt.datetime(2026, 1, 15, 9, 30))
    )
    body = index(client, at_from="2026-01-01", at_to="2026-01-31")
    assert shown(body, varied) == {"b"}
    assert "2026-01-15 09:30" in body
    body = index(client, at_from="2026-02-01")
    assert "b" not in shown(body, varied) and len(shown(body, varied)) == 4


def test_search_stays_in_the_region(client, world, varied):  # noqa: F811
    login(client, world, "bureau_zy")
    assert shown(index(client, number=world["cert_a"].number), varied) == set()
    assert shown(index(client, number=world["cert_b"].number), varied) == {"b"}


def test_xlsx_export_has_words_and_masked_names(client, world, varied):  # noqa: F811
    login(client, world, "auditor_gz")
    response = client.get(URL, {"export": "xlsx", "number": world["cert_a"].number})
    assert response.status_code == 200
    sheet = load_workbook(
        io.BytesIO(b"".join(response.streaming_content))
        if response.streaming
        else io.BytesIO(response.content)
    ).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    headings, data = rows[0], rows[1:]
    assert len(data) == 4
    assert "证书编号" in headings and "持证人" in headings and "二维码签名" in headings
    text = " ".join(str(v) for row in data for v in row)
    assert world["cert_a"].masked_holder_name in text
    assert world["cert_a"].holder_name not in text
    for words in ("签名有效", "签名无效", "无签名", "未找到"):
        assert words in text


def test_certificate_page_links_to_its_full_log(client, world, varied):  # noqa: F811
    login(client, world, "auditor_gz")
    a = world["cert_a"]
    body = client.get(inspect_url(a)).content.decode()
    link = f"{URL}?number={a.number}"
    assert f'href="{link}"' in body
    for words in ("签名有效", "签名无效", "无签名"):
        assert words in body
    assert shown(index(client, number=a.number), varied) == {
        "a_signed",
        "a_api",
        "a_forged",
        "query_miss",
    }


@pytest.mark.parametrize("params", [{}, {"number": "PX52"}, {"q": "PX52"}])
def test_one_row_or_many_costs_the_same_queries(client, world, params):  # noqa: F811
    """Rows of different certificates (links, masked holders) add no query."""
    login(client, world, "auditor_gz")
    log(world["cert_a"], signature=True)
    client.get(URL, params)
    with CaptureQueriesContext(connection) as one:
        body = client.get(URL, params).content.decode()
    assert body.count("data-log=") == 1
    for certificate in ("cert_a", "cert_b", "cert_eval") * 5:
        log(world[certificate], signature=False)
    log(None, channel="query", asked="PX5299000000000001", outcome="not_found")
    with CaptureQueriesContext(connection) as many:
        body = client.get(URL, params).content.decode()
    expected = 12 if params else 17  # cert_eval is a skill-level (S…) number
    assert body.count("data-log=") == expected
    assert len(many.captured_queries) == len(one.captured_queries)
