"""The import pipeline (``training_platform.imports``) with a tiny made-up kind of two
columns: store → preview → confirm → run (now, or queued and claimed) → error rows →
cleanup, on the job row (``courses.ImportUpload``, the one concrete job model)."""

import datetime as dt
import io
import json

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from courses.models import ImportUpload, UploadKind
from tests.courses.test_admin_courses import make_world
from training_platform import xlsx
from training_platform.imports import services
from training_platform.imports.commands import import_file_command
from training_platform.imports.kinds import (
    Column,
    ImportKind,
    RowError,
    errors_as_dicts,
)
from training_platform.imports.models import ImportStatus
from training_platform.jobs import job_claim

pytestmark = pytest.mark.django_db


class TallyPlan:
    def __init__(self, target):
        self.target = target
        self.rows = 0
        self.total = 0
        self.errors: list[RowError] = []

    def summary(self):
        return {
            "rows": self.rows,
            "total": self.total,
            "errors": errors_as_dicts(self.errors),
        }


class TallyKind(ImportKind):
    """Adds up a column of whole numbers; ``applied`` records what it wrote."""

    key = UploadKind.ROSTER  # any value the job row's ``kind`` takes
    noun = "计数表"
    columns = (
        Column("code", "编号", ("编码",), required=True),
        Column("amount", "数量", required=True),
    )
    counts = ("total",)
    text_keys = frozenset({"code"})

    def __init__(self):
        self.applied = []

    def plan(self, *, target, rows):
        plan = TallyPlan(target)
        for number, cells in rows:
            plan.rows += 1
            if not cells["amount"].isdigit():
                plan.errors.append(RowError(number, "数量", "请填写整数。"))
            else:
                plan.total += int(cells["amount"])
        return plan

    def apply(self, *, plan, actor=None, request=None):
        self.applied.append((plan.target.pk, plan.total, actor))
        return plan.summary()


class FakeTask:
    def __init__(self):
        self.queued = []

    def enqueue(self, pk):
        self.queued.append(pk)
        return type("Result", (), {"id": "task-1"})()


def sheet(rows, name="计数 13800000000.xlsx"):
    content = xlsx.write_xlsx(["编码", "数量"], rows)
    return SimpleUploadedFile(name, content)


@pytest.fixture
def world(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return make_world()


def stored(world, rows, *, sync_limit=services.SYNC_ROW_LIMIT, kind=None):
    job = ImportUpload(
        training_class=world["class_a"], kind=UploadKind.ROSTER, uploaded_by=None
    )
    return services.upload_store(
        job=job, kind=kind or TallyKind(), file=sheet(rows), sync_limit=sync_limit
    )


def test_store_preview_confirm_run_imports_and_drops_the_file(world):
    kind = TallyKind()
    job = stored(world, [["A1", "2"], ["A2", "3"], ["", ""]], kind=kind)
    job.refresh_from_db()
    assert job.status == ImportStatus.PREVIEWED
    assert job.row_count == 2  # the blank row is not counted
    assert job.original_name.startswith("计数 ")
    assert "13800000000" not in job.original_name  # masked
    assert job.summary == {"rows": 2, "total": 5, "errors": [], "error_count": 0}
    name = job.file.name
    assert job.file.storage.exists(name)
    # Encrypted at rest: not the xlsx (a zip starts "PK"), and no 32-byte run of the
    # uploaded file appears in what is stored. (Testing a 2-byte cell value such as
    # b"A1" failed by chance: random ciphertext holds any 2 given bytes about once
    # in every 65,536 / length files.)
    plain = sheet([["A1", "2"], ["A2", "3"], ["", ""]]).read()
    stored_bytes = job.file.open("rb").read()
    assert not stored_bytes.startswith(b"PK")
    assert all(
        plain[i : i + 32] not in stored_bytes for i in range(0, len(plain) - 32, 16)
    )
    assert kind.applied == []  # the preview writes nothing

    page = services.upload_preview(job, errors_shown=50)
    assert page["error_count"] == 0
    assert page["summary"]["total"] == 5
    assert not page["pending"]

    task = FakeTask()
    assert services.upload_confirm(job=job, kind=kind, task=task) == "done"
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE
    assert job.progress == 2
    assert job.finished_at is not None
    assert not job.file
    assert not job.file.storage.exists(name)
    assert kind.applied == [(world["class_a"].pk, 5, None)]
    assert task.queued == []
    # Confirming again does nothing.
    assert services.upload_confirm(job=job, kind=kind, task=task) == "not_previewed"
    assert len(kind.applied) == 1


def test_large_upload_is_queued_claimed_once_and_run_with_progress(world, monkeypatch):
    monkeypatch.setattr(services, "PROGRESS_EVERY", 2)
    kind = TallyKind()
    job = stored(world, [[f"A{i}", "1"] for i in range(5)], sync_limit=3, kind=kind)
    assert job.summary == {"rows": 5, "errors": [], "error_count": 0}  # not checked
    task = FakeTask()
    outcome = services.upload_confirm(job=job, kind=kind, task=task, sync_limit=3)
    assert outcome == "queued"
    job.refresh_from_db()
    assert job.status == ImportStatus.QUEUED
    assert job.task_id == "task-1"
    assert task.queued == [job.pk]
    assert services.upload_preview(job, errors_shown=50)["pending"]

    claimed = services.upload_claim(ImportUpload.objects.all(), job.pk)
    assert claimed.status == ImportStatus.RUNNING
    assert services.upload_claim(ImportUpload.objects.all(), job.pk) is None
    services.upload_run(job=claimed, kind=kind)
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE
    assert job.progress == 5
    assert job.summary["total"] == 5
    assert kind.applied == [(world["class_a"].pk, 5, None)]


def test_errors_block_confirm_and_come_back_as_error_rows(world):
    kind = TallyKind()
    job = stored(world, [["A1", "2"], ["A2", "many"]], kind=kind)
    assert job.error_count == 1
    assert job.summary["errors"] == [
        {"row": 3, "column": "数量", "message": "请填写整数。"}
    ]
    assert services.upload_confirm(job=job, kind=kind, task=FakeTask()) == "errors"
    job.refresh_from_db()
    assert job.status == ImportStatus.PREVIEWED
    assert kind.applied == []

    book = openpyxl.load_workbook(
        io.BytesIO(services.upload_error_rows(job=job, kind=kind))
    )
    assert [[c.value for c in row] for row in book.active.iter_rows()] == [
        ["编号", "数量", "错误说明"],
        ["A2", "many", "数量：请填写整数。"],
    ]


def test_refused_and_empty_files_are_not_stored(world):
    with pytest.raises(ValidationError) as excinfo:
        stored(world, [["", ""]])
    assert excinfo.value.messages == [ImportKind.empty_message]
    job = ImportUpload(training_class=world["class_a"], kind=UploadKind.ROSTER)
    bad = SimpleUploadedFile("x.xlsx", b"not a spreadsheet")
    with pytest.raises(xlsx.XlsxRefused):
        services.upload_store(job=job, kind=TallyKind(), file=bad)
    assert not ImportUpload.objects.exists()


def test_a_failing_apply_refuses_the_upload_and_keeps_its_file(world):
    class Closed(TallyKind):
        def apply(self, *, plan, actor=None, request=None):
            raise ValidationError("本班已结束。")

    job = stored(world, [["A1", "2"]])
    assert services.upload_confirm(job=job, kind=Closed(), task=FakeTask()) == "done"
    job.refresh_from_db()
    assert job.status == ImportStatus.REFUSED
    assert job.summary["message"] == "本班已结束。"
    assert job.file


def test_cleanup_expires_old_unfinished_uploads_only(world):
    old = stored(world, [["A1", "2"]])
    recent = stored(world, [["A1", "2"]])
    name = old.file.name
    ImportUpload.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - dt.timedelta(days=services.UPLOAD_KEEP_DAYS + 1)
    )
    assert services.upload_cleanup(ImportUpload) == 1
    old.refresh_from_db()
    recent.refresh_from_db()
    assert old.status == ImportStatus.EXPIRED
    assert not old.file
    assert not old.file.storage.exists(name)
    assert recent.status == ImportStatus.PREVIEWED
    assert services.upload_cleanup(ImportUpload) == 0


def test_job_claim_is_a_conditional_update(world):
    job = stored(world, [["A1", "2"]])
    assert not job_claim(
        ImportUpload, job.pk, from_status="queued", to_status="running"
    )
    assert job_claim(ImportUpload, job.pk, from_status="previewed", to_status="queued")
    job.refresh_from_db()
    assert job.status == "queued"


def test_command_prints_the_summary_and_refusals(world, tmp_path):
    path = tmp_path / "tally.xlsx"
    path.write_bytes(xlsx.write_xlsx(["编号", "数量"], [["A1", "4"]]))
    out = io.StringIO()
    command = BaseCommand(stdout=out)
    kind = TallyKind()
    import_file_command(command, kind=kind, target=world["class_a"], path=str(path))
    assert json.loads(out.getvalue()) == {"rows": 1, "total": 4, "errors": []}

    path.write_bytes(b"not a spreadsheet")
    out = io.StringIO()
    with pytest.raises(CommandError):
        import_file_command(
            BaseCommand(stdout=out), kind=kind, target=world["class_a"], path=str(path)
        )
    summary = json.loads(out.getvalue())
    assert summary["rows"] == 0 and summary["total"] == 0
    assert summary["errors"][0]["row"] == 0
