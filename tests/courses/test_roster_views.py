"""花名册导入 in the back-office: template, upload → preview → confirm, error rows,
scoping, and the background path for large files."""

import datetime as dt
import io
import json

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from courses import roster_views
from courses.models import (
    ClassStatus,
    Enrolment,
    EnrolmentStatus,
    ImportUpload,
    UploadKind,
)
from courses.roster import COLUMNS, roster_template
from courses.tasks import UNFINISHED, run_upload, upload_cleanup, upload_import_task
from tests.courses.test_admin_courses import make_world
from tests.factories import make_id_number
from training_platform.imports import models as import_models
from training_platform.imports.models import ImportStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    w = make_world()
    cls = w["class_a"]
    cls.status = ClassStatus.OPEN
    cls.save(update_fields=["status"])
    return w


def fill_template(rows):
    """The platform's template, sample row removed, filled in as a user would."""
    book = openpyxl.load_workbook(io.BytesIO(roster_template()))
    sheet = book.active
    sheet.delete_rows(2)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return SimpleUploadedFile(
        "花名册.xlsx", out.getvalue(), content_type="application/octet-stream"
    )


def good_rows(n=2):
    return [
        [
            f"学员{i}",
            make_id_number("520102", seq=100 + i),
            f"1390000{i:04d}",
            "",
            "",
            "",
        ]
        for i in range(n)
    ]


def class_url(name, cls):
    return reverse(name, args=[cls.pk])


def upload_url(name, upload):
    return reverse(name, args=[upload.training_class_id, upload.pk])


def upload_file(client, cls, file):
    return client.post(
        class_url("courses_class_roster_upload", cls), {"file": file}, follow=True
    )


def active_count(cls):
    return Enrolment.objects.filter(
        training_class=cls, status=EnrolmentStatus.ENROLLED
    ).count()


def test_template_download_has_chinese_headers(client, world):
    client.force_login(world["users"]["inst_a"])
    response = client.get(class_url("courses_class_roster_template", world["class_a"]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "GY-0001" in response["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert [c.value for c in sheet[1]] == [c.template_header for c in COLUMNS]


def test_inspect_page_links_for_institution_staff_only(client, world):
    inspect = reverse("trainingclass:inspect", args=[world["class_a"].pk])
    client.force_login(world["users"]["inst_a"])
    body = client.get(inspect).content.decode()
    assert "下载花名册模板" in body
    assert class_url("courses_class_roster_upload", world["class_a"]) in body
    client.force_login(world["users"]["bureau_gy"])
    assert "导入花名册" not in client.get(inspect).content.decode()


def test_upload_previews_then_confirm_enrols_once(client, world):
    cls = world["class_a"]
    before = active_count(cls)
    client.force_login(world["users"]["inst_a"])
    response = upload_file(client, cls, fill_template(good_rows(3)))
    body = response.content.decode()
    assert response.status_code == 200
    assert "确认导入" in body
    assert 'id="roster-rows">3<' in body
    assert 'id="roster-created">3<' in body
    assert 'id="roster-enrolled">3<' in body
    upload = ImportUpload.objects.get()
    assert upload.status == ImportStatus.PREVIEWED
    assert upload.row_count == 3
    assert active_count(cls) == before  # nothing written yet

    confirm = upload_url("courses_roster_confirm", upload)
    assert client.get(confirm).status_code == 405
    response = client.post(confirm, follow=True)
    body = response.content.decode()
    assert "导入完成" in body
    assert 'id="roster-enrolled">3<' in body
    assert active_count(cls) == before + 3
    upload.refresh_from_db()
    assert upload.status == ImportStatus.DONE
    assert upload.progress == 3
    assert not upload.file  # personal data gone after success

    response = client.post(confirm, follow=True)  # again: nothing changes
    assert response.status_code == 200
    assert active_count(cls) == before + 3


def test_an_id_number_in_the_file_name_is_not_stored(client, world):
    client.force_login(world["users"]["inst_a"])
    file = fill_template(good_rows(1))
    file.name = "520102199001011234名单 13912345678.xlsx"
    upload_file(client, world["class_a"], file)
    upload = ImportUpload.objects.get()
    assert upload.original_name == "******************名单 ***********.xlsx"


def test_file_names_stored_before_scrubbing_are_cleaned_by_the_migration(client, world):
    import importlib

    from django.apps import apps

    client.force_login(world["users"]["inst_a"])
    upload_file(client, world["class_a"], fill_template(good_rows(1)))
    upload = ImportUpload.objects.get()
    # As an earlier version stored it: the name as given.
    ImportUpload.objects.filter(pk=upload.pk).update(
        original_name="520102199001011234名单.xlsx"
    )
    migration = importlib.import_module(
        "courses.migrations.0005_scrub_upload_file_names"
    )
    migration.scrub_file_names(apps, None)
    upload.refresh_from_db()
    assert upload.original_name == "******************名单.xlsx"


def test_uploading_the_same_file_again_enrols_nobody_twice(client, world):
    cls = world["class_a"]
    rows = good_rows(2)
    client.force_login(world["users"]["inst_a"])
    upload_file(client, cls, fill_template(rows))
    client.post(upload_url("courses_roster_confirm", ImportUpload.objects.get()))
    count = active_count(cls)
    body = upload_file(client, cls, fill_template(rows)).content.decode()
    assert 'id="roster-already">2<' in body
    second = ImportUpload.objects.latest("pk")
    client.post(upload_url("courses_roster_confirm", second))
    assert active_count(cls) == count


def test_errors_are_shown_and_error_rows_download(client, world):
    cls = world["class_a"]
    rows = good_rows(1) + [["", make_id_number("520102", seq=7), "12345", "", "", ""]]
    client.force_login(world["users"]["inst_a"])
    body = upload_file(client, cls, fill_template(rows)).content.decode()
    assert "确认导入" not in body
    assert "请填写姓名。" in body
    assert "下载错误行" in body
    upload = ImportUpload.objects.get()
    assert client.post(upload_url("courses_roster_confirm", upload)).status_code == 302
    assert not Enrolment.objects.filter(trainee__name="学员0").exists()

    response = client.get(upload_url("courses_roster_errors", upload))
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.values)
    assert values[0][-1] == "错误说明"
    assert len(values) == 2  # the header and the one bad row
    assert "姓名：请填写姓名。" in values[1][-1]
    assert "手机号码" in values[1][-1]


def test_non_xlsx_upload_gets_a_chinese_message(client, world):
    client.force_login(world["users"]["inst_a"])
    bad = SimpleUploadedFile("花名册.xlsx", b"name,id\n", content_type="text/csv")
    body = upload_file(client, world["class_a"], bad).content.decode()
    assert "文件不是有效的 Excel 工作簿" in body
    assert not ImportUpload.objects.exists()


def test_another_institution_gets_404_everywhere(client, world):
    cls = world["class_a"]
    client.force_login(world["users"]["inst_a"])
    upload_file(client, cls, fill_template(good_rows(1)))
    upload = ImportUpload.objects.get()
    client.force_login(world["users"]["inst_b"])
    for name in ("courses_class_roster_template", "courses_class_roster_upload"):
        assert client.get(class_url(name, cls)).status_code == 404
    assert (
        client.post(
            class_url("courses_class_roster_upload", cls),
            {"file": fill_template(good_rows(1))},
        ).status_code
        == 404
    )
    for name in ("courses_roster_preview", "courses_roster_result"):
        assert client.get(upload_url(name, upload)).status_code == 404
    assert client.get(upload_url("courses_roster_errors", upload)).status_code == 404
    assert client.post(upload_url("courses_roster_confirm", upload)).status_code == 404
    upload.refresh_from_db()
    assert upload.status == ImportStatus.PREVIEWED


def assert_forbidden(response):
    """Wagtail's admin turns PermissionDenied into a redirect to the dashboard."""
    if response.status_code == 302:
        assert response.headers["Location"] == "/admin/"
    else:
        assert response.status_code == 403


@pytest.mark.parametrize("who", ["bureau_gy", "auditor_gz", "evaluator_a"])
def test_bureau_and_auditor_get_403_on_upload_and_confirm(client, world, who):
    cls = world["class_a"]
    client.force_login(world["users"]["inst_a"])
    upload_file(client, cls, fill_template(good_rows(1)))
    upload = ImportUpload.objects.get()
    client.force_login(world["users"][who])
    upload_page = class_url("courses_class_roster_upload", cls)
    assert (
        client.get(class_url("courses_class_roster_template", cls)).status_code == 200
    )
    assert_forbidden(client.get(upload_page))
    assert_forbidden(client.post(upload_page, {"file": fill_template(good_rows(1))}))
    assert_forbidden(client.post(upload_url("courses_roster_confirm", upload)))
    assert_forbidden(client.get(upload_url("courses_roster_errors", upload)))
    assert_forbidden(client.get(upload_url("courses_roster_preview", upload)))
    assert ImportUpload.objects.count() == 1
    upload.refresh_from_db()
    assert upload.status == ImportStatus.PREVIEWED


def test_large_file_is_imported_by_the_background_task(client, world, monkeypatch):
    monkeypatch.setattr(roster_views, "SYNC_ROW_LIMIT", 1)
    cls = world["class_a"]
    before = active_count(cls)
    client.force_login(world["users"]["inst_a"])
    body = upload_file(client, cls, fill_template(good_rows(3))).content.decode()
    assert "后台检查并导入" in body
    upload = ImportUpload.objects.get()
    response = client.post(upload_url("courses_roster_confirm", upload), follow=True)
    upload.refresh_from_db()
    assert upload.task_id
    assert upload.status == ImportStatus.DONE
    assert upload.progress == upload.row_count == 3
    assert upload.summary["enrolled"] == 3
    assert active_count(cls) == before + 3
    body = response.content.decode()
    assert 'data-status="done"' in body
    assert "<progress" in body
    assert 'value="3"' in body
    assert 'http-equiv="refresh"' not in body
    assert 'id="roster-enrolled">3<' in body


def test_result_page_refreshes_while_queued(client, world):
    cls = world["class_a"]
    client.force_login(world["users"]["inst_a"])
    upload_file(client, cls, fill_template(good_rows(1)))
    upload = ImportUpload.objects.get()
    upload.status = ImportStatus.QUEUED
    upload.save(update_fields=["status"])
    body = client.get(upload_url("courses_roster_result", upload)).content.decode()
    assert 'http-equiv="refresh"' in body
    assert "<progress" in body


def test_the_stored_upload_is_encrypted_at_rest(client, world):
    rows = good_rows(1)
    client.force_login(world["users"]["inst_a"])
    upload_file(client, world["class_a"], fill_template(rows))
    upload = ImportUpload.objects.get()
    with upload.file.open("rb") as stored:
        raw = stored.read()
    assert not raw.startswith(b"PK")  # not an xlsx (zip) on disk
    assert rows[0][1].encode() not in raw
    assert upload.open_file().read().startswith(b"PK")


def test_a_results_upload_is_not_found_under_the_roster_urls(client, world):
    cls = world["class_a"]
    client.force_login(world["users"]["inst_a"])
    upload_file(client, cls, fill_template(good_rows(1)))
    upload = ImportUpload.objects.get()
    ImportUpload.objects.filter(pk=upload.pk).update(kind=UploadKind.RESULTS)
    for name in ("courses_roster_preview", "courses_roster_result"):
        assert client.get(upload_url(name, upload)).status_code == 404
    assert client.post(upload_url("courses_roster_confirm", upload)).status_code == 404
    assert ImportUpload.objects.get().status == ImportStatus.PREVIEWED


# --- summary capping ------------------------------------------------------------------


def bad_rows(n):
    """Rows with one error each: no name."""
    return [
        ["", make_id_number("520102", seq=300 + i), f"1380000{i:04d}", "", "", ""]
        for i in range(n)
    ]


def test_set_summary_keeps_the_first_thousand_errors_and_the_total():
    errors = [
        {"row": n, "column": "姓名", "message": "请填写姓名。"} for n in range(2500)
    ]
    upload = ImportUpload()
    upload.set_summary({"rows": 2500, "errors": errors})
    assert import_models.SUMMARY_ERRORS_KEPT == 1000
    assert upload.summary["errors"] == errors[:1000]
    assert upload.summary["error_count"] == upload.error_count == 2500
    assert upload.errors_truncated
    upload.set_summary(upload.summary)  # capping again keeps the total
    assert upload.error_count == 2500
    upload.set_summary({"rows": 1, "errors": errors[:3]})
    assert upload.error_count == 3 and not upload.errors_truncated


def test_capped_summary_still_downloads_every_bad_row(client, world, monkeypatch):
    monkeypatch.setattr(import_models, "SUMMARY_ERRORS_KEPT", 2)
    cls = world["class_a"]
    client.force_login(world["users"]["inst_a"])
    body = upload_file(
        client, cls, fill_template(good_rows(1) + bad_rows(4))
    ).content.decode()
    upload = ImportUpload.objects.get()
    assert len(upload.summary["errors"]) == 2
    assert upload.error_count == 4
    assert "花名册" in body and 'id="roster-errors">4<' in body
    response = client.get(upload_url("courses_roster_errors", upload))
    values = list(openpyxl.load_workbook(io.BytesIO(response.content)).active.values)
    assert len(values) == 5  # the header and all four bad rows
    assert all("姓名：请填写姓名。" in v[-1] for v in values[1:])


def test_background_refusal_stores_a_capped_summary(client, world, monkeypatch):
    monkeypatch.setattr(roster_views, "SYNC_ROW_LIMIT", 1)
    monkeypatch.setattr(import_models, "SUMMARY_ERRORS_KEPT", 2)
    cls = world["class_a"]
    client.force_login(world["users"]["inst_a"])
    upload_file(client, cls, fill_template(good_rows(1) + bad_rows(3)))
    upload = ImportUpload.objects.get()
    client.post(upload_url("courses_roster_confirm", upload))
    upload.refresh_from_db()
    assert upload.status == ImportStatus.REFUSED
    assert len(upload.summary["errors"]) == 2
    assert upload.error_count == 3
    response = client.get(upload_url("courses_roster_errors", upload))
    values = list(openpyxl.load_workbook(io.BytesIO(response.content)).active.values)
    assert len(values) == 4


# --- cleanup of uploads never imported ------------------------------------------------


def stored(world, *, status=ImportStatus.PREVIEWED, days=0):
    """An upload of class A with its file stored, ``days`` old (made directly, so that
    no upload screen expires anything on the way)."""
    upload = ImportUpload(
        training_class=world["class_a"],
        uploaded_by=world["users"]["inst_a"],
        original_name="花名册.xlsx",
        row_count=1,
        status=status,
    )
    upload.set_summary({"rows": 1, "errors": []})
    upload.store_file(fill_template(good_rows(1)))
    upload.save()
    age(upload, days)
    return upload


def age(upload, days):
    ImportUpload.objects.filter(pk=upload.pk).update(
        created_at=timezone.now() - dt.timedelta(days=days)
    )


def file_exists(name):
    return ImportUpload._meta.get_field("file").storage.exists(name)


def test_cleanup_expires_old_unfinished_uploads_and_keeps_the_rest(client, world):
    old = [stored(world, status=status, days=8) for status in UNFINISHED]
    recent = stored(world, days=6)
    done = stored(world, days=30)
    run_upload(done)
    done.refresh_from_db()
    assert done.status == ImportStatus.DONE
    names = {u.pk: u.file.name for u in [*old, recent]}
    assert all(file_exists(name) for name in names.values())

    out = io.StringIO()
    call_command("cleanup_uploads", stdout=out)
    assert json.loads(out.getvalue()) == {"days": 7, "expired": len(old)}
    for upload in old:
        upload.refresh_from_db()
        assert upload.status == ImportStatus.EXPIRED
        assert not upload.file
        assert upload.finished_at is not None
        assert not file_exists(names[upload.pk])
    recent.refresh_from_db()
    assert recent.status == ImportStatus.PREVIEWED
    assert file_exists(recent.file.name)
    done.refresh_from_db()
    assert done.status == ImportStatus.DONE

    out = io.StringIO()
    call_command("cleanup_uploads", stdout=out)  # again: nothing left to do
    assert json.loads(out.getvalue())["expired"] == 0
    call_command("cleanup_uploads", "--days", "5", stdout=out)
    recent.refresh_from_db()
    assert recent.status == ImportStatus.EXPIRED
    assert not file_exists(names[recent.pk])


def test_a_new_upload_expires_a_few_stale_ones(client, world, monkeypatch):
    monkeypatch.setattr(roster_views, "CLEANUP_BATCH", 2)
    stale = [stored(world, days=8 + i) for i in range(3)]
    recent = stored(world, days=1)
    client.force_login(world["users"]["inst_a"])
    upload_file(client, world["class_a"], fill_template(good_rows(1)))
    statuses = [ImportUpload.objects.get(pk=u.pk).status for u in stale]
    # The two oldest go first.
    assert statuses == [
        ImportStatus.PREVIEWED,
        ImportStatus.EXPIRED,
        ImportStatus.EXPIRED,
    ]
    upload_file(client, world["class_a"], fill_template(good_rows(1)))
    assert not ImportUpload.objects.filter(
        pk__in=[u.pk for u in stale], status=ImportStatus.PREVIEWED
    ).exists()
    assert ImportUpload.objects.get(pk=recent.pk).file
    latest = ImportUpload.objects.latest("pk")
    assert latest.status == ImportStatus.PREVIEWED and latest.file


def test_the_cost_of_expiring_on_upload_does_not_grow(client, world, monkeypatch):
    monkeypatch.setattr(roster_views, "CLEANUP_BATCH", 2)
    cls = world["class_a"]

    def upload_queries():
        file = fill_template(good_rows(1))
        with CaptureQueriesContext(connection) as ctx:
            upload_file(client, cls, file)
        return len(ctx.captured_queries)

    client.force_login(world["users"]["inst_a"])
    upload_queries()  # warm caches up
    quiet = upload_queries()
    for _ in range(2):
        stored(world, days=8)
    with_two = upload_queries()
    for _ in range(6):
        stored(world, days=8)
    with_six = upload_queries()  # still two expired per upload
    assert with_two == with_six > quiet
    expired = ImportUpload.objects.filter(status=ImportStatus.EXPIRED)
    assert expired.count() == 4


def test_an_expired_upload_can_no_longer_be_confirmed(client, world):
    cls = world["class_a"]
    before = active_count(cls)
    upload = stored(world, days=8)
    client.force_login(world["users"]["inst_a"])
    call_command("cleanup_uploads", stdout=io.StringIO())
    preview = client.get(upload_url("courses_roster_preview", upload))
    assert preview.headers["Location"] == upload_url("courses_roster_result", upload)
    body = client.post(
        upload_url("courses_roster_confirm", upload), follow=True
    ).content.decode()
    assert 'data-status="expired"' in body
    assert "已按规定删除" in body
    assert active_count(cls) == before
    assert client.get(upload_url("courses_roster_errors", upload)).status_code == 404


def test_a_queued_upload_expired_before_the_worker_ran_is_skipped(client, world):
    upload = stored(world, status=ImportStatus.QUEUED, days=8)
    assert upload_cleanup() == 1
    assert upload_import_task.call(upload.pk) == "skipped"
    assert ImportUpload.objects.get(pk=upload.pk).status == ImportStatus.EXPIRED


def test_cleanup_rejects_negative_days():
    with pytest.raises(CommandError):
        call_command("cleanup_uploads", "--days", "-1")


# --- query counts ---------------------------------------------------------------------


def test_preview_and_error_rows_queries_do_not_grow_with_the_rows(client, world):
    cls = world["class_a"]
    cls.capacity = 500
    cls.save(update_fields=["capacity"])
    client.force_login(world["users"]["inst_a"])

    def queries(rows):
        counts = []
        file = fill_template(rows)
        with CaptureQueriesContext(connection) as ctx:
            upload_file(client, cls, file)
        counts.append(len(ctx.captured_queries))
        upload = ImportUpload.objects.latest("pk")
        for name in ("courses_roster_preview", "courses_roster_errors"):
            with CaptureQueriesContext(connection) as ctx:
                client.get(upload_url(name, upload))
            counts.append(len(ctx.captured_queries))
        return counts

    queries(good_rows(2) + bad_rows(1))  # warm caches up
    assert queries(good_rows(3) + bad_rows(2)) == queries(good_rows(60) + bad_rows(30))
