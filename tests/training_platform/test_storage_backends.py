"""Uploads and generated files go through Django's storage API, so S3-compatible storage
(django-storages) is a settings change: the same journeys run under two backends.

- ``memory``: ``InMemoryStorage``; nothing may appear under MEDIA_ROOT, so any code
  that wrote or read a stored file by its path would fail here.
- ``filesystem``: ``FileSystemStorage`` on a scratch MEDIA_ROOT; the upload is found
  there (encrypted) while it waits, and gone once imported.

Journeys: a roster import (upload → preview → confirm; inline, and by the background
task that reads the upload back), a bank-return import, a certificate PDF and a
lifetime record PDF (generated in memory, never stored). And the production settings'
switch to S3-compatible object storage (DJANGO_STORAGE=s3).
"""

import datetime as dt
import io
import json
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils.module_loading import import_string

from courses import roster_views
from courses.models import ImportUpload
from subsidies import batches
from subsidies.models import BankReturnUpload, Claim, ClaimStatus
from tests.certificates.admin_world import make_world as certificates_world
from tests.courses.test_roster_views import (
    active_count,
    fill_template,
    good_rows,
    upload_file,
    upload_url,
)
from tests.courses.test_roster_views import world as roster_world  # noqa: F401
from tests.factories import TraineeFactory, UserFactory, make_id_number, staff_user
from tests.subsidies.test_batches import make_batch, noticed, return_file
from tests.training_platform.test_settings import FULL_ENV, load_production
from training_platform.imports.models import ImportStatus
from training_platform.roles import Role

pytestmark = pytest.mark.django_db

BACKENDS = {
    "memory": "django.core.files.storage.InMemoryStorage",
    "filesystem": "django.core.files.storage.FileSystemStorage",
}


@pytest.fixture(params=list(BACKENDS))
def backend(request, settings, tmp_path):
    """The default storage set to one backend, MEDIA_ROOT a scratch directory."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": BACKENDS[request.param]},
    }
    yield request.param
    if request.param == "memory":
        assert files_under(settings.MEDIA_ROOT) == []


def files_under(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def stored_while_waiting(backend, settings, field_file, plain: str) -> None:
    """The waiting upload is in the configured storage, encrypted; on disk only when
    that storage is the filesystem."""
    assert isinstance(default_storage, import_string(BACKENDS[backend]))
    assert field_file.storage.exists(field_file.name)
    with field_file.storage.open(field_file.name, "rb") as fh:
        sealed = fh.read()
    assert sealed and plain.encode() not in sealed
    on_disk = files_under(settings.MEDIA_ROOT)
    if backend == "filesystem":
        assert on_disk == [field_file.name]
        assert (Path(settings.MEDIA_ROOT) / field_file.name).read_bytes() == sealed
    else:
        assert on_disk == []


def test_a_roster_import_end_to_end(backend, settings, client, roster_world):  # noqa: F811
    cls = roster_world["class_a"]
    before = active_count(cls)
    rows = good_rows(3)
    client.force_login(roster_world["users"]["inst_a"])
    body = upload_file(client, cls, fill_template(rows)).content.decode()
    assert 'id="roster-enrolled">3<' in body
    upload = ImportUpload.objects.get()
    assert upload.status == ImportStatus.PREVIEWED
    stored_while_waiting(backend, settings, upload.file, rows[0][1])
    name = upload.file.name

    client.post(upload_url("courses_roster_confirm", upload))
    upload.refresh_from_db()
    assert upload.status == ImportStatus.DONE
    assert active_count(cls) == before + 3
    assert not upload.file and not default_storage.exists(name)
    assert files_under(settings.MEDIA_ROOT) == []


def test_a_roster_import_by_the_background_task(
    backend,
    settings,
    client,
    roster_world,  # noqa: F811
    monkeypatch,
):
    monkeypatch.setattr(roster_views, "SYNC_ROW_LIMIT", 1)
    cls = roster_world["class_a"]
    before = active_count(cls)
    client.force_login(roster_world["users"]["inst_a"])
    body = upload_file(client, cls, fill_template(good_rows(3))).content.decode()
    assert "后台检查并导入" in body
    upload = ImportUpload.objects.get()
    name = upload.file.name
    assert default_storage.exists(name)
    client.post(upload_url("courses_roster_confirm", upload))
    upload.refresh_from_db()
    assert upload.task_id  # the task read the upload back from storage
    assert upload.status == ImportStatus.DONE
    assert active_count(cls) == before + 3
    assert not default_storage.exists(name)


def test_a_bank_return_import(backend, settings, client):
    maker = staff_user(Role.BUREAU, region_code="520100")
    checker = staff_user(Role.BUREAU, region_code="520100")
    batch = batches.batch_approve(batch=make_batch(maker, noticed(2)), actor=checker)
    a, b = batch.payments.order_by("pk")
    client.force_login(maker)
    client.post(
        reverse("subsidies_return_upload", args=[batch.pk]),
        {
            "file": return_file(
                [
                    [a.reference, str(a.amount), "成功", "B1", "", "2026-12-02"],
                    [b.reference, str(b.amount), "成功", "B2", "", "2026-12-02"],
                ]
            )
        },
    )
    upload = BankReturnUpload.objects.get()
    stored_while_waiting(backend, settings, upload.file, a.reference)
    name = upload.file.name
    preview = client.get(reverse("subsidies_return_preview", args=[upload.pk]))
    assert "确认对账 2 行" in preview.content.decode()
    client.post(reverse("subsidies_return_confirm", args=[upload.pk]))
    upload.refresh_from_db()
    assert upload.status == ImportStatus.DONE
    assert Claim.objects.filter(status=ClaimStatus.PAID).count() == 2
    assert not default_storage.exists(name)
    assert files_under(settings.MEDIA_ROOT) == []


def test_a_certificate_pdf(backend, settings, client):
    world = certificates_world()
    cert = world["cert_a"]
    client.force_login(world["users"]["inst_a"])
    response = client.get(reverse("certificates_pdf", args=[cert.pk]))
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")
    from pypdf import PdfReader

    text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    assert cert.number in text
    assert files_under(settings.MEDIA_ROOT) == []


def test_a_lifetime_record_pdf(backend, settings, client):
    trainee = TraineeFactory(
        name="张三丰",
        id_number=make_id_number("520102", birth=dt.date(1990, 5, 1)),
        user=UserFactory(),
    )
    client.force_login(trainee.user)
    response = client.get(reverse("me_record_pdf"))
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")
    assert files_under(settings.MEDIA_ROOT) == []


STORAGE_PROBE = (
    "import json; from django.conf import settings; "
    "print(json.dumps(settings.STORAGES['default']))"
)


def test_production_uses_the_filesystem_unless_told_otherwise():
    result = load_production(FULL_ENV, code=STORAGE_PROBE)
    assert result.returncode == 0, result.stderr
    default = json.loads(result.stdout)
    assert default["BACKEND"] == "django.core.files.storage.FileSystemStorage"


def test_production_puts_uploads_in_a_private_s3_bucket_when_asked():
    env = {
        **FULL_ENV,
        "DJANGO_STORAGE": "s3",
        "DJANGO_S3_BUCKET": "qjt-uploads",
        "DJANGO_S3_ENDPOINT_URL": "https://oss-cn-guiyang.example.com",
        "DJANGO_S3_REGION": "cn-guiyang",
    }
    result = load_production(env, code=STORAGE_PROBE)
    assert result.returncode == 0, result.stderr
    default = json.loads(result.stdout)
    assert default["BACKEND"] == "storages.backends.s3.S3Storage"
    options = default["OPTIONS"]
    assert options["bucket_name"] == "qjt-uploads"
    assert options["endpoint_url"] == "https://oss-cn-guiyang.example.com"
    assert options["region_name"] == "cn-guiyang"
    assert options["access_key"] is None  # boto3's own credential chain
    assert options["default_acl"] == "private"
    assert options["querystring_auth"] is True
    assert options["file_overwrite"] is False


@pytest.mark.parametrize(
    ("extra", "complaint"),
    [
        ({"DJANGO_STORAGE": "s3"}, "DJANGO_S3_BUCKET"),
        ({"DJANGO_STORAGE": "ftp"}, "DJANGO_STORAGE=ftp"),
    ],
)
def test_production_refuses_an_incomplete_storage_choice(extra, complaint):
    result = load_production({**FULL_ENV, **extra}, code=STORAGE_PROBE)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and complaint in result.stderr
