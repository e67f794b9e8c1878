"""Saving a spot-check session (抽查) as a 核查记录: auditors only, checked on the server,
audited, bad input refused in Chinese."""

import datetime as dt
import json

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from certificates import services
from certificates.scan_models import SpotCheck, SpotCheckItem
from tests.certificates.admin_world import login
from tests.certificates.scan_world import FOREIGN_QR, qr, tampered
from training_platform.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

URL = reverse("certificate_scan_save")


def post(client, body):
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.post(URL, data=data, content_type="application/json")


def item(text, at=None):
    at = at or timezone.now() - dt.timedelta(minutes=5)
    return {"qr": text, "scanned_at": at.isoformat()}


def test_an_auditor_saves_and_the_server_decides_each_verdict(client, world):
    a, b = world["cert_a"], world["cert_b"]
    services.certificate_revoke(
        actor=world["users"]["inst_b"], certificate=b, reason="考核材料不实"
    )
    login(client, world, "auditor_gz")
    response = post(
        client,
        {
            "place": "  贵阳甲培训学校   教室 ",
            "latitude": 26.578,
            "longitude": "106.713",
            "items": [
                item(qr(a)),
                item(qr(b)),
                item(tampered(qr(a))),
                item(FOREIGN_QR),
            ],
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    spot_check = SpotCheck.objects.get(pk=body["id"])
    assert body["url"] == reverse("spotcheck:inspect", args=[spot_check.pk])
    assert body["message"] == "已保存为核查记录（4 条）"
    assert spot_check.checked_by == world["users"]["auditor_gz"]
    assert spot_check.place == "贵阳甲培训学校 教室"
    assert str(spot_check.latitude) == "26.578000"
    items = list(spot_check.items.order_by("id"))
    assert [(i.certificate, i.number, i.verdict, i.status) for i in items] == [
        (a, a.number, "genuine", "valid"),
        (b, b.number, "genuine", "revoked"),
        # A forged QR's claims are not kept, nor linked to the certificate it names.
        (None, "", "tampered", ""),
        (None, "", "foreign", ""),
    ]
    event = AuditEvent.objects.get(action="certificate.spot_check_save")
    assert event.object_id == str(spot_check.pk)
    assert event.after == {
        "items": 4,
        "verdicts": {"genuine": 2, "tampered": 1, "foreign": 1},
    }


@pytest.mark.parametrize(
    "who", ["anonymous", "inst_a", "evaluator_a", "bureau_gy", "trainee"]
)
def test_others_may_not_save(client, world, who):
    login(client, world, who)
    response = post(client, {"items": [item(qr(world["cert_a"]))]})
    assert response.status_code == 403
    assert "审计核查人员" in response.json()["error"]
    assert not SpotCheck.objects.exists()


def test_saving_needs_the_csrf_token(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world["users"]["auditor_gz"])
    body = json.dumps({"items": [item(qr(world["cert_a"]))]})
    assert client.post(URL, body, content_type="application/json").status_code == 403
    token = client.get(reverse("certificate_scan_me")).json()["csrf_token"]
    response = client.post(
        URL, body, content_type="application/json", headers={"X-CSRFToken": token}
    )
    assert response.status_code == 201


def future():
    return (timezone.now() + dt.timedelta(days=2)).isoformat()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("{not json", "提交的内容不是有效的 JSON。"),
        ("[]", "提交的内容格式不对。"),
        ({"items": []}, "没有扫码记录可保存。"),
        ({"items": "x"}, "没有扫码记录可保存。"),
        ({"items": ["x"]}, "第 1 条扫码记录格式不对。"),
        ({"items": [{"qr": "", "scanned_at": "x"}]}, "第 1 条扫码记录缺少二维码内容。"),
        (
            {"items": [{"qr": "x" * 5000, "scanned_at": "x"}]},
            "第 1 条扫码记录的二维码内容过长。",
        ),
        (
            {"items": [{"qr": "x", "scanned_at": "昨天"}]},
            "第 1 条的扫码时间格式不对：昨天",
        ),
        (
            {"items": [{"qr": "x", "scanned_at": "2026-12-01T10:00:00"}]},
            "第 1 条的扫码时间须带时区。",
        ),
        (
            {"items": [{"qr": "x", "scanned_at": "2020-01-01T10:00:00+08:00"}]},
            "第 1 条的扫码时间不在合理范围内：2020-01-01T10:00:00+08:00",
        ),
        ({"items": [{"qr": "x"}]}, "第 1 条的扫码时间缺失或格式不对。"),
        ({"place": 3, "items": [{"qr": "x"}]}, "核查地点格式不对。"),
        ({"place": "地" * 201, "items": [{"qr": "x"}]}, "核查地点最多 200 个字。"),
        ({"latitude": 26.5, "items": [{"qr": "x"}]}, "经纬度须同时提供。"),
        ({"latitude": 95, "longitude": 1, "items": [{"qr": "x"}]}, "纬度超出范围。"),
        (
            {"latitude": "北纬", "longitude": 1, "items": [{"qr": "x"}]},
            "纬度格式不对。",
        ),
        ({"latitude": True, "longitude": 1, "items": [{"qr": "x"}]}, "纬度格式不对。"),
        ({"latitude": "NaN", "longitude": 1, "items": [{"qr": "x"}]}, "纬度超出范围。"),
    ],
)
def test_bad_input_gets_a_clear_chinese_message(client, world, body, message):
    login(client, world, "auditor_gz")
    response = post(client, body)
    assert response.status_code == 400
    assert response.json() == {"error": message}
    assert not SpotCheck.objects.exists()


def test_too_many_scans_are_refused(client, world):
    login(client, world, "auditor_gz")
    response = post(client, {"items": [item(FOREIGN_QR)] * 501})
    assert response.status_code == 400
    assert response.json()["error"] == "一次最多保存 500 条扫码记录。"


def test_a_scan_time_slightly_ahead_of_the_server_is_accepted(client, world):
    login(client, world, "auditor_gz")
    ahead = timezone.now() + dt.timedelta(minutes=20)
    assert post(client, {"items": [item(FOREIGN_QR, ahead)]}).status_code == 201
    assert (
        post(client, {"items": [{"qr": "x", "scanned_at": future()}]}).status_code
        == 400
    )


def test_saving_takes_the_same_queries_for_one_scan_or_many(client, world):
    login(client, world, "auditor_gz")
    texts = [qr(world["cert_a"]), qr(world["cert_b"]), qr(world["cert_eval"])]
    post(client, {"items": [item(texts[0])]})  # warm the session and caches
    with CaptureQueriesContext(connection) as one:
        assert post(client, {"items": [item(texts[0])]}).status_code == 201
    with CaptureQueriesContext(connection) as many:
        response = post(client, {"items": [item(t) for t in texts * 10]})
        assert response.status_code == 201
    assert len(many) == len(one)
    assert (
        SpotCheckItem.objects.filter(spot_check_id=response.json()["id"]).count() == 30
    )
