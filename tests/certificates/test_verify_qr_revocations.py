"""manage.py verify_qr --revocations FILE [--keys FILE]: the status, offline."""

import datetime
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from certificates import status_list
from certificates.signing import public_keys_document, qr_text
from tests.certificates.test_payload_v2 import v1_qr_text
from tests.certificates.test_signing import VERIFY_URL, make_payload

INDEX = 123456  # make_payload()'s status_index
DAY = datetime.date(2026, 5, 4)


def list_file(tmp_path, rows, *, age=datetime.timedelta(minutes=5), ttl=3600):
    body = status_list.build_body(
        rows,
        size=status_list.list_size(200_000),
        issued_at=timezone.now() - age,
        ttl=ttl,
        issuer="https://example.gov.cn",
    )
    path = tmp_path / "certificate-revocations.json"
    path.write_text(json.dumps(status_list.sign_body(body)), encoding="utf-8")
    return path


def run(*args) -> tuple[int, list[str]]:
    out = StringIO()
    try:
        call_command("verify_qr", *args, stdout=out)
    except SystemExit as exc:
        return exc.code, out.getvalue().splitlines()
    return 0, out.getvalue().splitlines()


QR = qr_text(make_payload(), verify_url=VERIFY_URL)


def test_not_revoked_as_of_the_list(tmp_path):
    path = list_file(tmp_path, [(INDEX - 1, DAY, "R"), (INDEX + 1, DAY, "S")])

    code, lines = run(QR, "--revocations", str(path))

    assert code == 0
    assert lines[0] == "结果：真实"
    assert "撤销列表：撤销列表签名有效" in lines
    assert lines[-1].startswith("证书状态：截至 ")
    assert lines[-1].endswith(" 未被撤销或换发")
    assert not any(line.startswith("警告") for line in lines)


@pytest.mark.parametrize(("code_letter", "word"), [("R", "已撤销"), ("S", "已换发")])
def test_revoked_or_superseded_with_its_date_exits_2(tmp_path, code_letter, word):
    path = list_file(tmp_path, [(INDEX, DAY, code_letter)])

    code, lines = run(QR, "--revocations", str(path))

    assert code == 2
    assert lines[-1] == f"证书状态：{word}（2026-05-04）"


def test_a_list_older_than_its_ttl_is_flagged(tmp_path):
    path = list_file(tmp_path, [], age=datetime.timedelta(hours=3), ttl=3600)

    code, lines = run(QR, "--revocations", str(path), "--json")

    assert code == 0
    data = json.loads(lines[0])["revocation"]
    assert data["stale"] is True
    assert data["status"] == "not_revoked"
    assert "撤销列表已过期" in data["warning"]
    assert "已超出 2.0 小时" in data["warning"]
    code, lines = run(QR, "--revocations", str(path))
    assert lines[-1].startswith("警告：撤销列表已过期")


def test_a_tampered_list_is_not_trusted(tmp_path):
    path = list_file(tmp_path, [(INDEX, DAY, "R")])
    document = json.loads(path.read_text())
    signature = document["signature"]
    document["signature"] = ("A" if signature[0] != "A" else "B") + signature[1:]
    path.write_text(json.dumps(document))

    code, lines = run(QR, "--revocations", str(path))

    assert code == 1
    assert lines[-1] == "撤销列表：撤销列表签名无效：内容被篡改"
    assert not any(line.startswith("证书状态") for line in lines)


def test_a_version_1_qr_cannot_be_looked_up(tmp_path):
    path = list_file(tmp_path, [(INDEX, DAY, "R")])

    code, lines = run(v1_qr_text(), "--revocations", str(path))

    assert code == 0
    assert lines[-1] == (
        "证书状态：第1版二维码不含状态序号，无法用撤销列表离线查验；请联网查验。"
    )


def test_keys_from_a_downloaded_document(tmp_path, settings):
    path = list_file(tmp_path, [(INDEX, DAY, "R")])
    keys = tmp_path / "certificate-keys.json"
    keys.write_text(json.dumps(public_keys_document()))
    # The settings' ring no longer knows the key: only the file can vouch for it.
    settings.CERTIFICATE_SIGNING_KEYS = {"other": b"o" * 32}
    settings.CERTIFICATE_SIGNING_ACTIVE_KEY = "other"

    assert run(QR, "--revocations", str(path))[0] == 1
    code, lines = run(QR, "--revocations", str(path), "--keys", str(keys))
    assert code == 2
    assert lines[0] == "结果：真实"
    assert lines[-1] == "证书状态：已撤销（2026-05-04）"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "无法读取撤销列表"),
        ("not json", "不是有效的 JSON 文件"),
    ],
)
def test_unreadable_files_get_a_plain_message(tmp_path, content, message):
    path = tmp_path / "list.json"
    if content is not None:
        path.write_text(content)

    with pytest.raises(CommandError, match=message):
        call_command("verify_qr", QR, "--revocations", str(path))


def test_a_bad_keys_file_gets_a_plain_message(tmp_path):
    keys = tmp_path / "keys.json"
    keys.write_text(json.dumps({"keys": {"s2": "short"}}))

    with pytest.raises(CommandError, match="公钥文件格式错误"):
        call_command("verify_qr", QR, "--keys", str(keys))
