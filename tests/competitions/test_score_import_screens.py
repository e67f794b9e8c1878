"""成绩表导入 screens: template, upload → preview → confirm → result, error rows, who may
(another region's bureau and another competition's organiser get 404), the background
path, and a preview whose query count does not grow with rows."""

import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from competitions import score_import_views
from competitions.models import CompetitionStatus, Entry, ScoreUpload
from competitions.score_import import score_template
from competitions.score_tasks import score_import_task
from tests.factories import (
    CompetitionFactory,
    EventFactory,
    TraineeFactory,
    competitor,
    staff_user,
)
from training_platform.imports.models import ImportStatus
from training_platform.roles import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def event():
    return EventFactory(
        competition=CompetitionFactory(status=CompetitionStatus.SCORING)
    )


@pytest.fixture
def organiser(event):
    # 遵义市's bureau: not over the provincial competition, only named on it
    user = staff_user(Role.BUREAU, region_code="520300")
    event.competition.organisers.add(user)
    return user


def filled(event, rows):
    """The event's template, sample row and prefilled rows removed, filled in."""
    book = openpyxl.load_workbook(io.BytesIO(score_template(event)))
    sheet = book.active
    sheet.delete_rows(2, sheet.max_row)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return SimpleUploadedFile("成绩表.xlsx", out.getvalue())


def url(name, event, *args):
    return reverse(f"competitions:{name}", args=[event.pk, *args])


def upload(client, event, file):
    return client.post(url("score_import", event), {"file": file}, follow=True)


def test_template_download_lists_the_entries(client, event, organiser):
    competitor(event, number="002")
    competitor(event, number="001")
    client.force_login(organiser)
    response = client.get(url("score_import_template", event))
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    values = [[c.value for c in row] for row in book.active.iter_rows()]
    assert values[0][:4] == ["参赛编号*", "姓名/队名", "理论成绩", "实操成绩"]
    assert values[1][0] == "示例"
    assert [r[0] for r in values[2:]] == ["001", "002"]


def test_upload_preview_confirm_result(client, event, organiser):
    entry = competitor(event, number="001", people=[TraineeFactory(name="王小明")])
    client.force_login(organiser)
    page = client.get(url("score_import", event))
    assert page.status_code == 200
    body = page.content.decode()
    assert "下载本赛项的成绩表" in body
    assert 'id="scores-back" href="/admin/"' in body or "scores-back" in body
    response = upload(client, event, filled(event, [["001", "王小明", 80, 90]]))
    body = response.content.decode()
    assert "检查通过，尚未写入任何数据" in body
    assert "确认导入 1 行" in body
    assert "王**" in body and "王小明" not in body
    assert "理论 — → 80；实操 — → 90" in body
    entry.refresh_from_db()
    assert entry.theory is None
    job = ScoreUpload.objects.get()
    response = client.post(url("score_import_confirm", event, job.pk), follow=True)
    body = response.content.decode()
    assert 'data-status="done"' in body
    assert 'id="scores-updated">1<' in body
    assert reverse("competitions:scores", args=[event.pk]) in body
    entry.refresh_from_db()
    assert (entry.theory, entry.practical) == (Decimal("80"), Decimal("90"))
    job.refresh_from_db()
    assert not job.file  # the file is gone once imported
    # confirming again imports nothing more
    client.post(url("score_import_confirm", event, job.pk))
    assert ScoreUpload.objects.get().summary["updated"] == 1


def test_row_errors_are_listed_with_row_numbers_and_downloadable(
    client, event, organiser
):
    competitor(event, number="001")
    client.force_login(organiser)
    response = upload(
        client, event, filled(event, [["001", "", 80, 90], ["404", "", 80, 90]])
    )
    body = response.content.decode()
    assert "文件有 1 处错误，不能导入" in body
    assert "本赛项没有参赛编号为“404”的选手。" in body
    assert "确认导入" not in body
    job = ScoreUpload.objects.get()
    assert job.summary["errors"][0]["row"] == 3
    refused = client.post(url("score_import_confirm", event, job.pk), follow=True)
    assert "文件有错误" in refused.content.decode()
    assert Entry.objects.get(number="001").theory is None
    rows = client.get(url("score_import_errors", event, job.pk))
    book = openpyxl.load_workbook(io.BytesIO(rows.content))
    values = [[c.value for c in row] for row in book.active.iter_rows()]
    assert values[0][-1] == "错误说明"
    assert values[1][0] == "404"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"hello", ".xlsx"),
        (None, "没有找到表头"),
    ],
)
def test_bad_files_get_a_clear_message(client, event, organiser, content, message):
    if content is None:
        book = openpyxl.Workbook()
        book.active.append(["姓名", "分数"])
        book.active.append(["王小明", 80])
        out = io.BytesIO()
        book.save(out)
        content = out.getvalue()
    client.force_login(organiser)
    response = upload(client, event, SimpleUploadedFile("x.xlsx", content))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not ScoreUpload.objects.exists()


def test_not_editable_is_said_and_refused(client, organiser, event):
    competition = event.competition
    competition.status = CompetitionStatus.REGISTRATION
    competition.save()
    competitor(event, number="001")
    client.force_login(organiser)
    assert "当前不能修改成绩" in client.get(url("score_import", event)).content.decode()
    body = upload(client, event, filled(event, [["001", "", 80, 90]])).content.decode()
    assert "不能导入成绩" in body
    assert "确认导入" not in body


def test_the_bureau_over_the_region_may_import(client, event):
    competitor(event, number="001")
    client.force_login(staff_user(Role.BUREAU, region_code="520000"))
    assert client.get(url("score_import", event)).status_code == 200


@pytest.mark.parametrize("who", ["other_bureau", "other_organiser", "auditor"])
def test_others_get_404(client, event, organiser, who):
    competitor(event, number="001")
    client.force_login(organiser)
    upload(client, event, filled(event, [["001", "", 80, 90]]))
    job = ScoreUpload.objects.get()
    if who == "other_bureau":
        user = staff_user(Role.BUREAU, region_code="520300")
    elif who == "auditor":
        user = staff_user(Role.AUDITOR, region_code="520000")
    else:
        user = staff_user(Role.BUREAU, region_code="520300")
        CompetitionFactory().organisers.add(user)
    client.force_login(user)
    for name, args in [
        ("score_import", ()),
        ("score_import_template", ()),
        ("score_import_preview", (job.pk,)),
        ("score_import_result", (job.pk,)),
        ("score_import_errors", (job.pk,)),
        ("score_import_people", (job.pk,)),
    ]:
        assert client.get(url(name, event, *args)).status_code == 404, name
    assert client.post(url("score_import_confirm", event, job.pk)).status_code == 404
    job.refresh_from_db()
    assert job.status == ImportStatus.PREVIEWED


def test_an_upload_of_another_event_is_not_found(client, event, organiser):
    competitor(event, number="001")
    client.force_login(organiser)
    upload(client, event, filled(event, [["001", "", 80, 90]]))
    job = ScoreUpload.objects.get()
    sibling = EventFactory(competition=event.competition)
    assert client.get(url("score_import_preview", sibling, job.pk)).status_code == 404


def test_a_large_file_is_imported_by_the_task(client, event, organiser, monkeypatch):
    monkeypatch.setattr(score_import_views, "SYNC_ROW_LIMIT", 1)
    for n in range(3):
        competitor(event, number=f"00{n}")
    client.force_login(organiser)
    body = upload(
        client, event, filled(event, [[f"00{n}", "", 70, 71] for n in range(3)])
    ).content.decode()
    assert "后台检查并导入" in body
    job = ScoreUpload.objects.get()
    response = client.post(url("score_import_confirm", event, job.pk), follow=True)
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE and job.summary["updated"] == 3
    assert 'data-status="done"' in response.content.decode()
    assert score_import_task.call(job.pk) == "skipped"  # run once only
    assert set(Entry.objects.values_list("theory", flat=True)) == {Decimal("70")}


def test_preview_query_count_does_not_grow_with_rows(client, event, organiser):
    client.force_login(organiser)

    def preview_queries(n):
        ScoreUpload.objects.all().delete()
        numbers = [f"Q{len(Entry.objects.all()) + i:04d}" for i in range(n)]
        for number in numbers:
            competitor(event, number=number)
        upload(client, event, filled(event, [[x, "", 80, 90] for x in numbers]))
        job = ScoreUpload.objects.get()
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url("score_import_preview", event, job.pk))
        assert response.status_code == 200
        assert response.content.decode().count('data-outcome="changed"') == n
        return len(ctx.captured_queries)

    assert preview_queries(3) == preview_queries(9)


def test_the_template_as_downloaded_names_its_sample_row_as_skipped(
    client, event, organiser
):
    competitor(event, number="001", theory=Decimal("60"), practical=Decimal("70"))
    client.force_login(organiser)
    content = client.get(url("score_import_template", event)).content
    body = upload(
        client, event, SimpleUploadedFile("成绩表.xlsx", content)
    ).content.decode()
    assert 'id="scores-skipped">1<' in body
    assert "示例行，已跳过" in body
    assert 'id="scores-updated">0<' in body and 'id="scores-unchanged">1<' in body
    assert "理论 60；实操 70" in body
