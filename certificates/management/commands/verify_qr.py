"""Check a certificate QR offline: signature and key id, no database, no network.

    python manage.py verify_qr "https://host/verify/<token>/?s=..."
    zbarimg --raw photo.jpg | python manage.py verify_qr -
    python manage.py verify_qr TEXT --revocations certificate-revocations.json \\
        [--keys certificate-keys.json]

``--revocations`` takes a downloaded /.well-known/certificate-revocations.json: its
signature is checked, then the certificate's status as of the list's issue time is
reported (version 2 QRs carry their slot in the list), with a plain warning when the
list is older than its time-to-live. ``--keys`` takes a downloaded
/.well-known/certificate-keys.json instead of the configured key ring.

Exit status: 0 genuine (and, with a list, not revoked or superseded as of it); 1 not
genuine, or a file that cannot be trusted; 2 genuine but revoked or superseded.
"""

import datetime
import json
import sys
from dataclasses import asdict

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from certificates import status_list
from certificates.signing import keys_from_document, verify_qr_text

LABELS = {
    "token": "验证码",
    "number": "证书编号",
    "kind": "证书类型",
    "occupation_code": "职业编码",
    "level": "等级",
    "issued_on": "发证日期",
    "expires_on": "有效期至",
    "holder": "持证人",
    "issuer": "发证机构",
    "status_index": "状态序号",
    "version": "格式版本",
}
STATUS_WORDS = {status_list.REVOKED: "已撤销", status_list.SUPERSEDED: "已换发"}
NOT_GENUINE, REVOKED = 1, 2


def _read_json(path: str, what: str):
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except OSError as exc:
        raise CommandError(f"无法读取{what} {path}：{exc.strerror or exc}") from None
    except (UnicodeDecodeError, ValueError):
        raise CommandError(f"{what} {path} 不是有效的 JSON 文件。") from None


def _local(moment: datetime.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


class Command(BaseCommand):
    help = "Check a certificate QR text offline (Ed25519 signature and key id)."

    # The check needs only the key ring from settings.
    requires_system_checks = []
    requires_migrations_checks = False

    def add_arguments(self, parser):
        parser.add_argument("text", help='The scanned QR text, or "-" to read stdin.')
        parser.add_argument(
            "--json", action="store_true", dest="as_json", help="Print JSON."
        )
        parser.add_argument(
            "--revocations",
            metavar="FILE",
            help="A downloaded certificate-revocations.json to check the status in.",
        )
        parser.add_argument(
            "--keys",
            metavar="FILE",
            help="A downloaded certificate-keys.json to use instead of the settings.",
        )

    def handle(
        self, *args, text, as_json=False, revocations=None, keys=None, **options
    ):
        ring = None
        if keys:
            try:
                ring = keys_from_document(_read_json(keys, "公钥文件"))
            except ValueError as exc:
                raise CommandError(str(exc)) from None
        document = _read_json(revocations, "撤销列表") if revocations else None
        if text == "-":
            text = sys.stdin.read()
        result = verify_qr_text(text, ring)
        status = None
        if document is not None and result.genuine:
            status = self._status(result, document, ring)
        if as_json:
            self._write_json(result, status)
        else:
            self._write_lines(result, status)
        if not result.genuine or (status is not None and not status["list_ok"]):
            sys.exit(NOT_GENUINE)
        if status is not None and status["status"] in ("revoked", "superseded"):
            sys.exit(REVOKED)

    def _status(self, result, document, ring) -> dict:
        ok, body, reason = status_list.check_revocation_document(document, ring)
        status = {"list_ok": ok, "list_reason": reason}
        if not ok:
            return status
        issued_at = datetime.datetime.fromisoformat(
            body["issued_at"].replace("Z", "+00:00")
        )
        left = status_list.seconds_left(body)
        status.update(
            list_issued_at=body["issued_at"],
            ttl_seconds=body["ttl_seconds"],
            stale=left < 0,
            stale_seconds=max(0, -left),
        )
        index = result.payload.status_index
        if index is None:
            status["status"] = "unknown"
            status["text"] = (
                "第1版二维码不含状态序号，无法用撤销列表离线查验；请联网查验。"
            )
            return status
        found = status_list.status_of(body, index)
        if found is None:
            status["status"] = "not_revoked"
            status["text"] = f"截至 {_local(issued_at)} 未被撤销或换发"
        else:
            day, code = found
            status["status"] = (
                "revoked" if code == status_list.REVOKED else "superseded"
            )
            status["date"] = day.isoformat()
            status["text"] = f"{STATUS_WORDS[code]}（{day.isoformat()}）"
        if status["stale"]:
            hours = status["stale_seconds"] / 3600
            status["warning"] = (
                f"撤销列表已过期：签发于 {_local(issued_at)}，有效期 "
                f"{body['ttl_seconds']} 秒，已超出 {hours:.1f} 小时；"
                "此后撤销的证书不在其中，请联网下载最新列表。"
            )
        return status

    def _write_json(self, result, status):
        data = asdict(result)
        if result.payload is not None:
            data["payload"]["issued_on"] = result.payload.issued_on.isoformat()
            expires = result.payload.expires_on
            data["payload"]["expires_on"] = expires.isoformat() if expires else None
        if status is not None:
            data["revocation"] = status
        self.stdout.write(json.dumps(data, ensure_ascii=False, sort_keys=True))

    def _write_lines(self, result, status):
        verdict = "真实" if result.genuine else "不可信"
        self.stdout.write(f"结果：{verdict}")
        self.stdout.write(f"原因：{result.reason}")
        self.stdout.write(f"密钥：{result.key_id or '-'}")
        if result.payload is None:
            return
        for field, label in LABELS.items():
            value = getattr(result.payload, field)
            if field == "expires_on" and value is None:
                value = "长期有效"
            if value is None or value == "":
                value = "-"
            self.stdout.write(f"{label}：{value}")
        if status is None:
            return
        self.stdout.write(f"撤销列表：{status['list_reason']}")
        if not status["list_ok"]:
            return
        self.stdout.write(f"证书状态：{status['text']}")
        if "warning" in status:
            self.stdout.write(f"警告：{status['warning']}")
