"""成绩表导入: row checks with their Chinese messages, judge columns, idempotence, the
refusals (not editable, not a manager), whole-file refusals and the command."""

import io
import json
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command

from competitions import score_import as si
from competitions.models import (
    CompetitionStatus,
    Entry,
    JudgeMark,
    ResultVersion,
    VersionStatus,
)
from competitions.score_import import SCORES, score_template
from tests.factories import (
    CompetitionFactory,
    EventFactory,
    JudgeMarkFactory,
    TraineeFactory,
    UserFactory,
    competitor,
    staff_user,
)
from training_platform import xlsx
from training_platform.audit.models import AuditEvent
from training_platform.imports.services import upload_error_rows, upload_store
from training_platform.roles import Role

pytestmark = pytest.mark.django_db

HEADERS = ["参赛编号", "姓名/队名", "理论成绩", "实操成绩"]


def sheet(rows, headers=HEADERS) -> io.BytesIO:
    content = xlsx.write_xlsx(headers, rows, text_columns={0})
    buffer = io.BytesIO(content)
    buffer.name = "成绩表.xlsx"
    return buffer


def scoring_event(**fields):
    competition = CompetitionFactory(status=CompetitionStatus.SCORING)
    return EventFactory(competition=competition, **fields)


def run(event, rows, headers=HEADERS, *, actor=None, dry_run=False):
    return SCORES.run(
        target=event,
        rows=SCORES.read(sheet(rows, headers)),
        actor=actor,
        dry_run=dry_run,
    )


def messages(summary) -> list[tuple[int, str, str]]:
    return [(e["row"], e["column"], e["message"]) for e in summary["errors"]]


@pytest.fixture
def event():
    return scoring_event()


@pytest.fixture
def manager(event):
    user = staff_user(Role.BUREAU, region_code="520000")
    return user


def test_a_valid_file_updates_entries_and_audits_each_changed_entry(event, manager):
    first = competitor(event, number="001", people=[TraineeFactory(name="王小明")])
    second = competitor(event, number="002", theory=Decimal("70"))
    summary = run(
        event,
        [["001", "王小明", "85.5", "90"], ["002", "", "70", "60"]],
        actor=manager,
    )
    assert summary == {"rows": 2, "updated": 2, "unchanged": 0, "errors": []}
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.theory, first.practical) == (Decimal("85.50"), Decimal("90.00"))
    assert (second.theory, second.practical) == (Decimal("70.00"), Decimal("60.00"))
    events = AuditEvent.objects.filter(action="competitions.entry.scores_imported")
    assert events.count() == 2
    audit = events.get(object_id=str(second.pk))
    # only what changed, old → new
    assert audit.before == {"practical": None}
    assert audit.after == {"practical": "60.00"}
    assert audit.actor == manager


def test_the_same_file_again_changes_nothing(event, manager):
    competitor(event, number="001")
    rows = [["001", "", "85", "90"]]
    assert run(event, rows, actor=manager)["updated"] == 1
    again = run(event, rows, actor=manager)
    assert again == {"rows": 1, "updated": 0, "unchanged": 1, "errors": []}
    assert (
        AuditEvent.objects.filter(action="competitions.entry.scores_imported").count()
        == 1
    )


def test_an_empty_cell_changes_nothing(event):
    entry = competitor(event, number="001", theory=Decimal("50"))
    run(event, [["001", "", "", "77"]])
    entry.refresh_from_db()
    assert (entry.theory, entry.practical) == (Decimal("50"), Decimal("77"))


@pytest.mark.parametrize(
    ("row", "column", "message"),
    [
        (["999", "", "80", ""], "参赛编号", "本赛项没有参赛编号为“999”的选手。"),
        (["", "", "80", ""], "参赛编号", "请填写参赛编号。"),
        (["001", "", "", ""], "", si.NOTHING),
        (["001", "", "一百", ""], "理论成绩", "理论成绩“一百”不是数字。"),
        (["001", "", "", "101"], "实操成绩", "实操成绩应在 0 到 100 之间。"),
        (["001", "", -1, ""], "理论成绩", "理论成绩应在 0 到 100 之间。"),
        (["001", "", "80.125", ""], "理论成绩", "理论成绩最多保留两位小数。"),
        (["001", "李四", "80", ""], "姓名/队名", si.NAME_MISMATCH),
        (["003", "", "80", ""], "参赛编号", "该选手已退赛，不能导入成绩。"),
    ],
)
def test_row_errors_are_named_and_nothing_is_written(event, row, column, message):
    entry = competitor(event, number="001", people=[TraineeFactory(name="王小明")])
    competitor(event, number="003", withdrawn=True)
    fine = competitor(event, number="002")
    summary = run(event, [["002", "", "80", "80"], row])
    assert messages(summary) == [(3, column, message)]
    for each in (entry, fine):
        each.refresh_from_db()
        assert each.theory is None and each.practical is None
    assert not AuditEvent.objects.filter(
        action="competitions.entry.scores_imported"
    ).exists()


def test_a_number_twice_in_the_file(event):
    competitor(event, number="001")
    summary = run(event, [["001", "", "80", ""], ["001", "", "81", ""]])
    assert messages(summary) == [
        (3, "参赛编号", "参赛编号“001”与第 2 行重复，同一选手只能出现一次。")
    ]


def test_a_team_is_checked_by_its_team_name_or_a_member():
    event = scoring_event(is_team=True, team_size=2)
    members = [TraineeFactory(name="赵一"), TraineeFactory(name="钱二")]
    competitor(event, number="T1", team_name="遵义队", people=members)
    ok = run(event, [["T1", "遵义队", "80", "80"]], dry_run=True)
    assert ok["errors"] == [] and ok["updated"] == 1
    assert run(event, [["T1", "钱二", "80", "80"]], dry_run=True)["errors"] == []
    wrong = run(event, [["T1", "六盘水队", "80", "80"]], dry_run=True)
    assert messages(wrong) == [(2, "姓名/队名", si.NAME_MISMATCH)]


def test_judge_columns_upsert_marks_and_keep_others():
    event = scoring_event(uses_judges=True)
    entry = competitor(event, number="001", theory=Decimal("60"))
    JudgeMarkFactory(entry=entry, judge="J1", mark=Decimal("70"))
    JudgeMarkFactory(entry=entry, judge="J3", mark=Decimal("75"))
    headers = ["参赛编号", "理论成绩", "裁判J1", "J2", "裁判 3"]
    summary = run(event, [["001", "60", "72", "80", ""]], headers)
    assert summary == {"rows": 1, "updated": 1, "unchanged": 0, "errors": []}
    marks = dict(entry.judge_marks.values_list("judge", "mark"))
    assert marks == {"J1": Decimal("72"), "J2": Decimal("80"), "J3": Decimal("75")}
    audit = AuditEvent.objects.get(action="competitions.entry.scores_imported")
    assert audit.before == {"judges": {"J1": "70.00", "J2": None}}
    assert audit.after == {"judges": {"J1": "72.00", "J2": "80.00"}}
    # again: nothing changes
    again = run(event, [["001", "60", "72", "80", ""]], headers)
    assert again["updated"] == 0 and again["unchanged"] == 1
    assert JudgeMark.objects.filter(entry=entry).count() == 3


def test_a_typed_practical_mark_is_refused_where_judges_mark():
    event = scoring_event(uses_judges=True)
    competitor(event, number="001")
    headers = ["参赛编号", "实操成绩", "J1"]
    summary = run(event, [["001", "80", "80"]], headers)
    assert messages(summary) == [(2, "实操成绩", si.PRACTICAL_TYPED)]
    bad_mark = run(event, [["001", "", "评分"]], headers)
    assert messages(bad_mark) == [(2, "裁判J1", "裁判J1评分“评分”不是数字。")]
    assert not JudgeMark.objects.exists()


def test_judge_marks_are_refused_where_the_practical_mark_is_typed(event):
    competitor(event, number="001")
    summary = run(event, [["001", "80", "80"]], ["参赛编号", "理论成绩", "裁判J1"])
    assert messages(summary) == [(2, "裁判J1", si.JUDGES_NOT_USED)]


def test_the_preview_names_people_masked_with_old_and_new(event):
    entry = competitor(event, number="001", people=[TraineeFactory(name="王小明")])
    entry.theory = Decimal("60")
    entry.save()
    competitor(event, number="002", theory=Decimal("70"), practical=Decimal("80"))
    rows = SCORES.read(
        sheet([["001", "", "65", "90"], ["002", "", "70", "80"], ["009", "", "1", ""]])
    )
    people = SCORES.people(SCORES.plan(target=event, rows=rows))
    assert [(p.number, p.outcome) for p in people] == [
        (2, "changed"),
        (3, "unchanged"),
        (4, "error"),
    ]
    assert people[0].who == "王**"
    assert people[0].ident == "001"
    assert people[0].detail == "理论 60 → 65；实操 — → 90"
    assert people[1].detail == "理论 70；实操 80"
    assert "本赛项没有参赛编号为“009”的选手" in people[2].detail
    assert Entry.objects.get(number="001").practical is None  # the plan wrote nothing


@pytest.mark.parametrize(
    "status", [CompetitionStatus.DRAFT, CompetitionStatus.REGISTRATION]
)
def test_not_while_the_competition_is_not_scoring(status):
    event = EventFactory(competition=CompetitionFactory(status=status))
    entry = competitor(event, number="001")
    summary = run(event, [["001", "", "80", ""]])
    assert summary["errors"][0]["row"] == 0
    assert "不能导入成绩" in summary["errors"][0]["message"]
    entry.refresh_from_db()
    assert entry.theory is None


def test_after_publication_only_while_no_correction_is_waiting(event):
    competition = event.competition
    competition.status = CompetitionStatus.PUBLISHED
    competition.save()
    entry = competitor(event, number="001")
    ResultVersion.objects.create(
        competition=competition, number=1, status=VersionStatus.PUBLISHED
    )
    assert run(event, [["001", "", "80", ""]])["updated"] == 1
    ResultVersion.objects.create(
        competition=competition, number=2, status=VersionStatus.PROPOSED
    )
    summary = run(event, [["001", "", "90", ""]])
    assert messages(summary) == [
        (0, "", "该竞赛有待复核的成绩更正，复核完成前不能导入成绩。")
    ]
    entry.refresh_from_db()
    assert entry.theory == Decimal("80")


def test_a_plan_gone_stale_is_refused_at_apply(event, manager):
    competitor(event, number="001")
    plan = SCORES.plan(target=event, rows=SCORES.read(sheet([["001", "", "80", ""]])))
    competition = event.competition
    competition.status = CompetitionStatus.REGISTRATION
    competition.save()
    with pytest.raises(ValidationError):
        SCORES.apply(plan=plan, actor=manager)


def test_only_managers_may_import(event):
    competitor(event, number="001")
    outsider = staff_user(Role.BUREAU, region_code="520300")  # 遵义市, not over it
    with pytest.raises(PermissionDenied):
        run(event, [["001", "", "80", ""]], actor=outsider)
    organiser = UserFactory()
    other = CompetitionFactory(status=CompetitionStatus.SCORING)
    other.organisers.add(organiser)  # organising another competition is not enough
    with pytest.raises(PermissionDenied):
        run(event, [["001", "", "80", ""]], actor=organiser)
    event.competition.organisers.add(organiser)
    assert run(event, [["001", "", "80", ""]], actor=organiser)["updated"] == 1
    assert Entry.objects.get(number="001").theory == Decimal("80")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"not a spreadsheet", "xlsx"),
        (xlsx.write_xlsx(["姓名", "成绩"], [["王", "1"]]), "参赛编号"),
        (xlsx.write_xlsx(HEADERS, []), "文件中没有成绩数据"),
    ],
)
def test_bad_files_are_refused_with_a_message_and_write_nothing(
    event, content, message
):
    from competitions.models import ScoreUpload

    competitor(event, number="001")
    upload = ScoreUpload(event=event)
    file = io.BytesIO(content)
    file.name = "x.xlsx"
    with pytest.raises(ValidationError) as refused:
        upload_store(job=upload, kind=SCORES, file=file)
    assert message in "；".join(refused.value.messages)
    assert not ScoreUpload.objects.exists()


def test_the_template_lists_the_entries_and_reads_back_unchanged(event):
    competitor(event, number="002", theory=Decimal("66"))
    competitor(event, number="001")
    competitor(event, number="003", withdrawn=True)
    content = score_template(event)
    skipped: list = []
    rows = list(SCORES.read(io.BytesIO(content), skipped=skipped))
    assert [cells["number"] for _n, cells in rows] == ["001", "002"]
    assert [cells["number"] for _n, cells in skipped] == ["示例"]
    filled = run(event, [["001", "", "", ""]])
    assert messages(filled) == [(2, "", si.NOTHING)]


def test_the_judge_template_has_the_judges_and_round_trips():
    event = scoring_event(uses_judges=True)
    entry = competitor(event, number="001")
    JudgeMarkFactory(entry=entry, judge="J2", mark=Decimal("70"))
    JudgeMarkFactory(entry=entry, judge="J10", mark=Decimal("71"))
    content = score_template(event)
    header = next(iter(xlsx.iter_rows(io.BytesIO(content))))[1]
    assert header[:3] == ["参赛编号*", "姓名/队名", "理论成绩"]
    assert header[3:] == ["裁判J2", "裁判J10"]
    summary = SCORES.run(target=event, rows=SCORES.read(io.BytesIO(content)))
    assert summary["errors"] == [] and summary["updated"] == 0


def test_error_rows_keep_the_judge_columns():
    from competitions.models import ScoreUpload

    event = scoring_event(uses_judges=True)
    competitor(event, number="001")
    upload = ScoreUpload(event=event)
    upload_store(
        job=upload,
        kind=SCORES,
        file=sheet(
            [["001", "", "101"], ["001", "", "80"]], ["参赛编号", "理论成绩", "J1"]
        ),
    )
    content = upload_error_rows(job=upload, kind=SCORES)
    rows = list(xlsx.iter_rows(io.BytesIO(content)))
    assert rows[0][1] == [
        "参赛编号",
        "姓名/队名",
        "理论成绩",
        "实操成绩",
        "裁判J1",
        "错误说明",
    ]
    assert rows[1][1][4] == "101"
    assert "裁判J1评分应在 0 到 100 之间" in rows[1][1][5]


# --- the command -------------------------------------------------------------------


def write(tmp_path, rows, headers=HEADERS):
    path = tmp_path / "scores.xlsx"
    path.write_bytes(sheet(rows, headers).getvalue())
    return str(path)


def test_the_command_checks_and_imports_only_with_confirm(event, tmp_path):
    entry = competitor(event, number="001")
    path = write(tmp_path, [["001", "", "80", "90"]])
    out = io.StringIO()
    call_command("import_scores", str(event.pk), path, stdout=out)
    assert json.loads(out.getvalue())["updated"] == 1
    entry.refresh_from_db()
    assert entry.theory is None  # a dry run without --confirm
    out = io.StringIO()
    call_command("import_scores", str(event.pk), path, "--confirm", stdout=out)
    entry.refresh_from_db()
    assert (entry.theory, entry.practical) == (Decimal("80"), Decimal("90"))
    out = io.StringIO()
    call_command("import_scores", str(event.pk), path, "--confirm", stdout=out)
    assert json.loads(out.getvalue())["updated"] == 0


def test_the_command_fails_on_errors_and_unknown_events(event, tmp_path):
    competitor(event, number="001")
    path = write(tmp_path, [["404", "", "80", ""]])
    with pytest.raises(CommandError, match="1 处错误"):
        call_command(
            "import_scores", str(event.pk), path, "--confirm", stdout=io.StringIO()
        )
    with pytest.raises(CommandError, match="找不到赛项"):
        call_command("import_scores", "999999", path, stdout=io.StringIO())
    with pytest.raises(CommandError, match="找不到用户"):
        call_command(
            "import_scores",
            str(event.pk),
            path,
            "--user",
            "nobody",
            stdout=io.StringIO(),
        )


def test_apply_query_count_does_not_grow_with_rows(manager):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries(n):
        event = scoring_event(uses_judges=True)
        for i in range(n):
            entry = competitor(event, number=f"{i:03d}")
            JudgeMarkFactory(entry=entry, judge="J1", mark=Decimal("50"))
        rows = [[f"{i:03d}", "", "80", "81", "82"] for i in range(n)]
        content = sheet(rows, ["参赛编号", "姓名/队名", "理论成绩", "J1", "J2"])
        with CaptureQueriesContext(connection) as ctx:
            summary = SCORES.run(target=event, rows=SCORES.read(content), actor=manager)
        assert summary["updated"] == n
        return len(ctx.captured_queries)

    queries(1)  # the manager's scope and content types are cached after the first
    assert queries(3) == queries(9)
