"""The auditor's scanner (``/verify/scan/``): an installable web app that reads certificate
QRs with the camera and proves them in the browser, online or not.

The page needs no sign-in. Its scripts (``static/certificates/scan/``) check each QR's
Ed25519 signature with WebCrypto against ``/.well-known/certificate-keys.json`` exactly as
``signing.verify_qr_text`` does, and the revocation state against the signed list at
``/.well-known/certificate-revocations.json`` (``certificates.status_list``); online they
also ask ``GET /api/v1/certificates/<token>`` for the live status. A service worker (served
here, so that its scope is ``/verify/scan/``) keeps the page, its files, the keys, the list
and the occupation names for use without a network.

An auditor (审计核查) signed in may save a spot-check session (抽查) as a 核查记录:
:func:`scan_save` re-checks every QR on the server, so the record never rests on what
the browser said.
"""

import datetime as dt
import hashlib
import json
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import transaction
from django.http import HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from certificates import scan_policies, signing
from certificates.models import Certificate
from certificates.scan_models import (
    SpotCheck,
    SpotCheckItem,
    SpotCheckStatus,
    SpotCheckVerdict,
)
from training_platform.audit.services import audit_record
from training_platform.reference.models import CertificateKind, Occupation, SkillLevel

#: The scanner's own static files, in the order the page loads its scripts.
SCRIPTS = (
    "certificates/scan/jsQR.js",
    "certificates/scan/qrverify.js",
    "certificates/scan/xlsx.js",
    "certificates/scan/scan.js",
)
STYLES = ("css/site.css", "certificates/scan/scan.css")
ICONS = (
    ("certificates/scan/icon-192.png", "192x192"),
    ("certificates/scan/icon-512.png", "512x512"),
)
KEYS_PATH = "/.well-known/certificate-keys.json"
REVOCATIONS_PATH = "/.well-known/certificate-revocations.json"

#: A session holds at most this many scans; more is refused with a message.
MAX_ITEMS = 500
MAX_PLACE = 200
MAX_BODY_BYTES = MAX_ITEMS * (signing.MAX_QR_TEXT_LENGTH + 200)
#: A scan time may lie this far ahead of the server's clock (phones drift) or behind it.
CLOCK_SLACK = dt.timedelta(hours=1)
MAX_SESSION_AGE = dt.timedelta(days=30)


def _messages() -> dict:
    """The scanner's words, in the request's language, for scan.js."""
    return {
        "genuine": _("签名有效"),
        "genuine_detail": _("二维码内容由本平台签发，未被改动。"),
        "tampered": _("签名无效：内容被篡改"),
        "unknown_key": _("未知的签名密钥"),
        "malformed": _("格式错误"),
        "mismatch": _("签名有效，但与网址中的证书不符"),
        "foreign": _("不是本平台的证书二维码"),
        "not_genuine": _("不是真实的证书，请勿采信。"),
        "foreign_detail": _("此二维码不是本平台证书上的二维码，或没有平台签名。"),
        "check_signature": _("签名"),
        "check_key": _("签名密钥"),
        "key_active": _("已公布的现用密钥 {kid}"),
        "key_retired": _("已公布的停用密钥 {kid}（停用前签发的证书仍然有效）"),
        "check_revoked": _("未撤销"),
        "check_expiry": _("未过期"),
        "not_revoked_live": _("未撤销（截至 {when}，平台实时查询）"),
        "not_revoked_list": _("未撤销（截至 {when}）"),
        "revoked_on": _("已于 {date} 撤销"),
        "revoked_reason": _("已于 {date} 撤销，原因：{reason}"),
        "superseded_on": _("已于 {date} 换发新证"),
        "superseded_by": _("已换发新证：{number}"),
        "list_stale": _("撤销名单已过期，请联网更新"),
        "list_missing": _("没有可用的撤销名单，无法核对是否撤销，请联网后再扫"),
        "list_bad": _("撤销名单签名无效，未采用"),
        "no_index": _("旧版二维码不含名单序号，离线无法核对是否撤销，请联网后再扫"),
        "not_found": _("平台上未找到该证书"),
        "pending": _("等待联网复核"),
        "rechecked": _("已联网复核"),
        "no_expiry": _("长期有效"),
        "valid_until": _("有效期至 {date}"),
        "expired_on": _("已于 {date} 过期"),
        "passed": _("通过"),
        "warned": _("注意"),
        "failed": _("未通过"),
        "status_valid": _("有效"),
        "status_expired": _("已过期"),
        "status_revoked": _("已撤销"),
        "status_superseded": _("已换发新证"),
        "status_not_found": _("未找到"),
        "status_unknown": _("状态待核对"),
        "status_none": _("—"),
        "online": _("在线"),
        "offline": _("离线：仍可核验签名，撤销状态以已保存的名单为准"),
        "list_as_of": _("撤销名单：截至 {when}"),
        "camera_on": _("正在扫描，请将二维码对准取景框"),
        "camera_refused": _("无法使用摄像头，请拍照或选择二维码图片"),
        "no_qr_in_image": _("图片中没有找到二维码"),
        "keys_missing": _("没有可用的公钥，请联网后再试"),
        "number": _("证书编号"),
        "kind": _("证书类型"),
        "occupation": _("职业（工种）"),
        "level": _("等级"),
        "issued_on": _("发证日期"),
        "expires_on": _("有效期至"),
        "holder": _("持证人"),
        "issuer": _("发证机构"),
        "time": _("时间"),
        "signature": _("签名核验"),
        "status": _("证书状态"),
        "items_count": _("共 {n} 条"),
        "saved": _("已保存为核查记录（{n} 条）"),
        "save_failed": _("保存失败：{reason}"),
        "save_offline": _("离线时不能保存，请联网后再保存"),
        "nothing_to_save": _("列表为空，没有可保存的内容"),
        "export_name": _("抽查记录"),
    }


def _labels() -> dict:
    return {
        "kinds": {value: str(label) for value, label in CertificateKind.choices},
        "levels": {value: str(label) for value, label in SkillLevel.choices},
    }


@require_GET
def scan_page(request):
    """/verify/scan/: the scanner. No sign-in; the same page for everyone (it is cached)."""
    return render(
        request,
        "certificates/scan.html",
        {
            "scan_config": {
                "messages": _messages(),
                "labels": _labels(),
                "keys_url": KEYS_PATH,
                "revocations_url": REVOCATIONS_PATH,
                "occupations_url": reverse("certificate_scan_occupations"),
                "api_url": "/api/v1/certificates/",
                "me_url": reverse("certificate_scan_me"),
                "save_url": reverse("certificate_scan_save"),
                "sw_url": reverse("certificate_scan_sw"),
                "scope": reverse("certificate_scan"),
                "param": signing.QR_PARAM,
                "max_text": signing.MAX_QR_TEXT_LENGTH,
                "max_signed": signing.MAX_SIGNED_LENGTH,
            },
            "scripts": SCRIPTS,
        },
    )


@require_GET
def scan_manifest(request):
    """The web app manifest: installable, Chinese name first."""
    scope = reverse("certificate_scan")
    body = {
        "name": _("黔技通证书核验"),
        "short_name": _("证书核验"),
        "description": _("扫描证书二维码，离线也能核验真伪"),
        "lang": request.LANGUAGE_CODE,
        "start_url": scope,
        "scope": scope,
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#ffffff",
        "theme_color": "#0b5cad",
        "icons": [
            {"src": static(path), "sizes": sizes, "type": "image/png", "purpose": "any"}
            for path, sizes in ICONS
        ],
    }
    response = JsonResponse(body, json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = "application/manifest+json"
    response["Cache-Control"] = "public, max-age=3600"
    return response


def _cached_urls() -> list[str]:
    scope = reverse("certificate_scan")
    return [
        scope,
        reverse("certificate_scan_manifest"),
        reverse("certificate_scan_occupations"),
        KEYS_PATH,
        REVOCATIONS_PATH,
        *(static(path) for path in (*SCRIPTS, *STYLES)),
        *(static(path) for path, _sizes in ICONS),
    ]


@require_GET
def scan_service_worker(request):
    """/verify/scan/sw.js: the service worker, with the list of what it keeps."""
    urls = _cached_urls()
    version = hashlib.sha256(
        json.dumps([urls, settings.CERTIFICATE_SIGNING_ACTIVE_KEY]).encode()
        + _sw_source()
    ).hexdigest()[:12]
    head = (
        f"const CACHE = {json.dumps('qjt-scan-' + version)};\n"
        f"const PRECACHE = {json.dumps(urls)};\n"
        f"const FRESH_FIRST = {json.dumps([urls[0], *urls[1:5]])};\n"
    )
    response = HttpResponse(
        head.encode() + _sw_source(), content_type="text/javascript; charset=utf-8"
    )
    # The browser checks for a new worker on each visit; never keep an old one.
    response["Cache-Control"] = "no-cache"
    response["Service-Worker-Allowed"] = reverse("certificate_scan")
    return response


def _sw_source() -> bytes:
    from django.contrib.staticfiles import finders

    path = finders.find("certificates/scan/sw-body.js")
    with open(path, "rb") as handle:
        return handle.read()


@require_GET
def scan_occupations(request):
    """Occupation code → name, for QRs (which carry only the code)."""
    names = dict(Occupation.objects.order_by("code").values_list("code", "name"))
    response = JsonResponse(names, json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "public, max-age=86400"
    return response


@never_cache
@require_GET
def scan_me(request):
    """Whether this person may save a session, and the CSRF token to do it with."""
    can_save = request.user.is_authenticated and scan_policies.may_save(request.user)
    return JsonResponse(
        {
            "can_save": can_save,
            "csrf_token": get_token(request) if can_save else "",
            "name": request.user.get_full_name() if can_save else "",
        }
    )


# --- saving a session -------------------------------------------------------------------


class Refused(ValueError):
    """Bad input: the message is shown to the auditor as it is."""


def _refuse(message: str, status: int = 400) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


def _when(value, what: str) -> dt.datetime:
    if not isinstance(value, str) or len(value) > 40:
        raise Refused(_("{what}缺失或格式不对。").format(what=what))
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise Refused(
            _("{what}格式不对：{value}").format(what=what, value=value)
        ) from None
    if timezone.is_naive(moment):
        raise Refused(_("{what}须带时区。").format(what=what))
    now = timezone.now()
    if moment > now + CLOCK_SLACK or moment < now - MAX_SESSION_AGE:
        raise Refused(_("{what}不在合理范围内：{value}").format(what=what, value=value))
    return moment


def _coordinate(value, low: int, high: int, what: str) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise Refused(_("{what}格式不对。").format(what=what))
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise Refused(_("{what}格式不对。").format(what=what)) from None
    if not number.is_finite() or not low <= number <= high:
        raise Refused(_("{what}超出范围。").format(what=what))
    return number.quantize(Decimal("0.000001"))


_FOREIGN_REASONS = (
    "网址中没有证书验证码",
    "缺少签名参数",
    "不是有效的网址",
    "内容为空",
)


def verdict_of(check: signing.QRCheck) -> str:
    """The 核查记录 verdict of a server-side QR check."""
    if check.genuine:
        return SpotCheckVerdict.GENUINE
    if check.reason == signing.TAMPERED:
        return SpotCheckVerdict.TAMPERED
    if check.reason == signing.UNKNOWN_KEY:
        return SpotCheckVerdict.UNKNOWN_KEY
    if check.reason == signing.PATH_MISMATCH:
        return SpotCheckVerdict.MISMATCH
    if any(words in check.reason for words in _FOREIGN_REASONS):
        return SpotCheckVerdict.FOREIGN
    return SpotCheckVerdict.MALFORMED


def _parse(body: bytes) -> dict:
    if len(body) > MAX_BODY_BYTES:
        raise Refused(_("提交的内容过大。"))
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise Refused(_("提交的内容不是有效的 JSON。")) from None
    if not isinstance(data, dict):
        raise Refused(_("提交的内容格式不对。"))
    items = data.get("items")
    if not isinstance(items, list) or not items:
        raise Refused(_("没有扫码记录可保存。"))
    if len(items) > MAX_ITEMS:
        raise Refused(_("一次最多保存 {n} 条扫码记录。").format(n=MAX_ITEMS))
    place = data.get("place", "")
    if not isinstance(place, str):
        raise Refused(_("核查地点格式不对。"))
    place = " ".join(place.split())
    if len(place) > MAX_PLACE:
        raise Refused(_("核查地点最多 {n} 个字。").format(n=MAX_PLACE))
    latitude = _coordinate(data.get("latitude"), -90, 90, _("纬度"))
    longitude = _coordinate(data.get("longitude"), -180, 180, _("经度"))
    if (latitude is None) != (longitude is None):
        raise Refused(_("经纬度须同时提供。"))
    scans = []
    for n, item in enumerate(items, 1):
        if not isinstance(item, dict):
            raise Refused(_("第 {n} 条扫码记录格式不对。").format(n=n))
        text = item.get("qr")
        if not isinstance(text, str) or not text.strip():
            raise Refused(_("第 {n} 条扫码记录缺少二维码内容。").format(n=n))
        if len(text) > signing.MAX_QR_TEXT_LENGTH:
            raise Refused(_("第 {n} 条扫码记录的二维码内容过长。").format(n=n))
        at = _when(item.get("scanned_at"), _("第 {n} 条的扫码时间").format(n=n))
        scans.append((signing.verify_qr_text(text), at))
    return {
        "place": place,
        "latitude": latitude,
        "longitude": longitude,
        "scans": scans,
    }


@require_POST
def scan_save(request):
    """Save a spot-check session as a 核查记录 (auditors only; JSON in, JSON out)."""
    if not request.user.is_authenticated:
        return _refuse(_("请先以审计核查人员身份登录，再保存核查记录。"), 403)
    if not scan_policies.may_save(request.user):
        return _refuse(_("只有审计核查人员可以保存核查记录。"), 403)
    try:
        data = _parse(request.body)
    except Refused as refused:
        return _refuse(str(refused))
    scans = data["scans"]
    tokens = {check.payload.token for check, _at in scans if check.genuine}
    found = {c.token: c for c in Certificate.objects.filter(token__in=tokens)}
    today = timezone.localdate()
    with transaction.atomic():
        spot_check = SpotCheck.objects.create(
            checked_by=request.user,
            started_at=min(at for _check, at in scans),
            ended_at=max(at for _check, at in scans),
            place=data["place"],
            latitude=data["latitude"],
            longitude=data["longitude"],
        )
        items = []
        for check, at in scans:
            certificate = found.get(check.payload.token) if check.genuine else None
            if certificate is not None:
                status = certificate.display_status(today)
            elif check.genuine:
                status = SpotCheckStatus.NOT_FOUND
            else:
                status = SpotCheckStatus.NONE
            items.append(
                SpotCheckItem(
                    spot_check=spot_check,
                    certificate=certificate,
                    # A number only from a genuine QR: a forged one's text is not kept.
                    number=check.payload.number[:40] if check.genuine else "",
                    verdict=verdict_of(check),
                    status=status,
                    scanned_at=at,
                )
            )
        SpotCheckItem.objects.bulk_create(items)
        counts = {}
        for item in items:
            counts[item.verdict] = counts.get(item.verdict, 0) + 1
        audit_record(
            actor=request.user,
            action="certificate.spot_check_save",
            obj=spot_check,
            after={"items": len(items), "verdicts": counts},
            request=request,
        )
    return JsonResponse(
        {
            "id": spot_check.pk,
            "items": len(items),
            "url": reverse("spotcheck:inspect", args=[spot_check.pk]),
            "message": _("已保存为核查记录（{n} 条）").format(n=len(items)),
        },
        status=201,
    )
