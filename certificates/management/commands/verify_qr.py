"""Check a certificate QR offline: signature and key id, no database, no network.

    python manage.py verify_qr "https://host/verify/<token>/?s=..."
    zbarimg --raw photo.jpg | python manage.py verify_qr -

Exit status 0 when the QR is genuine, 1 when it is not.
"""

import json
import sys
from dataclasses import asdict

from django.core.management.base import BaseCommand

from certificates.signing import verify_qr_text

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

    def handle(self, *args, text, as_json=False, **options):
        if text == "-":
            text = sys.stdin.read()
        result = verify_qr_text(text)
        if as_json:
            self._write_json(result)
        else:
            self._write_lines(result)
        if not result.genuine:
            sys.exit(1)

    def _write_json(self, result):
        data = asdict(result)
        if result.payload is not None:
            data["payload"]["issued_on"] = result.payload.issued_on.isoformat()
            expires = result.payload.expires_on
            data["payload"]["expires_on"] = expires.isoformat() if expires else None
        self.stdout.write(json.dumps(data, ensure_ascii=False, sort_keys=True))

    def _write_lines(self, result):
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
