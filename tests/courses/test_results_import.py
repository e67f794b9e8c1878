"""Attendance and assessment results import: the roster pipeline, another mapping."""

import io
import json
from decimal import Decimal

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.db import connection

from courses import results_import as ri
from courses.models import AssessmentResult, ClassStatus, Enrolment, EnrolmentStatus
from tests.factories import (
    EnrolmentFactory,
    InstitutionFactory,
    TraineeFactory,
    TrainingClassFactory,
    make_id_number,
    staff_user,
)
from training_platform import pii
from training_platform.audit.models import AuditEvent
from training_platform.roles import Role

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def threshold(settings):
    settings.ATTENDANCE_THRESHOLD = 0.8  # 80 course hours → at least 64


@pytest.fixture
def cls():
    return TrainingClassFactory(status=ClassStatus.RUNNING, capacity=2000)


@pytest.fixture
def staff(cls):
    return staff_user(Role.INSTITUTION, institution=cls.course.institution)


def enrol(cls, name="李雷", **fields):
    return EnrolmentFactory(
        training_class=cls, trainee=TraineeFactory(name=name), **fields
    )


def ref(enrolment, class_id=None):
    """The 报名编号 the class's sheet gives the enrolment."""
    return ri.enrolment_ref(class_id or enrolment.training_class_id, enrolment.pk)


def row(enrolment, **cells):
    values = {"ref": ref(enrolment), "name": enrolment.trainee.name}
    values.update(cells)
    return values


def numbered(*cells, first=2):
    return list(enumerate(cells, start=first))


def only_error(plan):
    assert len(plan.errors) == 1, plan.errors
    error = plan.errors[0]
    return error.row, error.column, error.message


def state(enrolment):
    enrolment.refresh_from_db()
    return (enrolment.attendance_hours, enrolment.score, enrolment.result)


# --- rules, one test each ------------------------------------------------------------


def test_columns_headers_and_aliases():
    assert [c.key for c in ri.RESULT_COLUMNS] == [
        "ref",
        "name",
        "id_number",
        "attendance_hours",
        "score",
        "result",
    ]
    assert [c.required for c in ri.RESULT_COLUMNS] == [
        True,
        True,
        False,
        False,
        False,
        False,
    ]
    aliases = {c.key: set(c.aliases) for c in ri.RESULT_COLUMNS}
    assert {"出勤学时", "实际课时"} <= aliases["attendance_hours"]
    assert {"成绩", "分数"} <= aliases["score"]
    assert "结果" in aliases["result"]


def test_rows_are_matched_by_the_reference_not_the_id_number(cls, staff):
    e = enrol(cls, name="李雷")
    other = enrol(cls, name="韩梅梅")
    summary = ri.results_import(
        training_class=cls,
        # The ID number column is not read: someone else's number changes nothing.
        rows=numbered(row(e, id_number=other.trainee.id_number, score="90")),
        actor=staff,
    )
    assert summary["errors"] == [] and summary["updated"] == 1
    assert state(e) == (Decimal("0"), Decimal("90"), "")
    assert state(other) == (Decimal("0"), None, "")


@pytest.mark.parametrize(
    "text",
    [
        "E1-000000000000",  # a made-up MAC
        "12345",
        "E1",
        make_id_number(),  # an ID number is no reference (and is never echoed)
    ],
)
def test_a_forged_or_malformed_reference_is_refused(cls, text):
    e = enrol(cls)
    forged = f"E{e.pk}-" + ("0" * 12 if ref(e)[-12:] != "0" * 12 else "1" * 12)
    for value in (text, forged):
        plan = ri.results_plan(
            training_class=cls, rows=numbered(row(e, ref=value, score="90"))
        )
        assert only_error(plan) == (2, "报名编号", ri.REF_INVALID)
        assert value not in ri.REF_INVALID
    assert state(e) == (Decimal("0"), None, "")


def test_a_missing_reference_is_reported(cls):
    e = enrol(cls)
    plan = ri.results_plan(
        training_class=cls, rows=numbered(row(e, ref="", score="90"))
    )
    assert only_error(plan) == (2, "报名编号", ri.REF_MISSING)


def test_a_reference_from_another_class_is_refused(cls, staff):
    other_class = TrainingClassFactory(status=ClassStatus.RUNNING, course=cls.course)
    other = enrol(other_class)
    plan = ri.results_plan(training_class=cls, rows=numbered(row(other, score="90")))
    assert only_error(plan) == (2, "报名编号", ri.REF_OTHER_CLASS)
    # Nor can the other class's enrolment id be signed for this class by hand.
    plan = ri.results_plan(
        training_class=cls,
        rows=numbered(row(other, ref=ri.enrolment_ref(cls.pk, other.pk), score="9")),
    )
    assert only_error(plan) == (2, "报名编号", "该学员未报名本培训班。")
    summary = ri.results_import(
        training_class=cls, rows=numbered(row(other, score="90")), actor=staff
    )
    assert summary["updated"] == 0
    assert state(other) == (Decimal("0"), None, "")


def test_a_reference_survives_a_key_rotation(cls, settings):
    e = enrol(cls)
    old_ref = ref(e)
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "another-test-secret-key-0123456789-abcdefghijklmnop"
    assert ref(e) != old_ref
    plan = ri.results_plan(
        training_class=cls, rows=numbered(row(e, ref=old_ref, score="90"))
    )
    assert plan.errors == [] and len(plan.changes) == 1


def test_a_name_that_does_not_match_never_shows_the_name_on_file(cls):
    e = enrol(cls, name="韩梅梅")
    plan = ri.results_plan(
        training_class=cls, rows=numbered(row(e, name="韩梅", score="90"))
    )
    number, column, message = only_error(plan)
    assert (number, column) == (2, "姓名")
    assert "姓名" in message and "不一致" in message
    assert "韩梅梅" not in message


def test_a_name_with_spaces_matches(cls):
    e = enrol(cls, name="韩梅梅")
    plan = ri.results_plan(
        training_class=cls, rows=numbered(row(e, name="韩 梅梅", score="90"))
    )
    assert plan.errors == [] and len(plan.changes) == 1


def test_a_withdrawn_enrolment_is_refused(cls):
    e = enrol(cls, status=EnrolmentStatus.WITHDRAWN)
    plan = ri.results_plan(training_class=cls, rows=numbered(row(e, score="90")))
    assert only_error(plan) == (2, "报名编号", "该学员已退出培训班。")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("十二", "出勤课时“十二”不是数字。"),
        ("-1", "出勤课时应在 0 到 80 之间。"),
        ("80.5", "出勤课时应在 0 到 80 之间。"),
        ("12.25", "出勤课时最多保留一位小数。"),
    ],
)
def test_hours_must_be_a_number_within_the_course_hours(cls, text, message):
    e = enrol(cls)
    plan = ri.results_plan(
        training_class=cls, rows=numbered(row(e, attendance_hours=text))
    )
    assert only_error(plan) == (2, "出勤课时", message)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("优", "考核成绩“优”不是数字。"),
        ("-0.5", "考核成绩应在 0 到 100 之间。"),
        ("100.5", "考核成绩应在 0 到 100 之间。"),
    ],
)
def test_score_must_be_a_number_from_0_to_100(cls, text, message):
    e = enrol(cls)
    plan = ri.results_plan(training_class=cls, rows=numbered(row(e, score=text)))
    assert only_error(plan) == (2, "考核成绩", message)


def test_result_must_be_one_of_the_labels(cls):
    e = enrol(cls)
    plan = ri.results_plan(training_class=cls, rows=numbered(row(e, result="优秀")))
    assert only_error(plan) == (
        2,
        "考核结果",
        "考核结果“优秀”无法识别，可填：合格、不合格、缺考。",
    )


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("合格", AssessmentResult.PASSED),
        ("通过", AssessmentResult.PASSED),
        ("不合格", AssessmentResult.FAILED),
        ("未通过", AssessmentResult.FAILED),
        ("缺考", AssessmentResult.ABSENT),
    ],
)
def test_result_labels_and_synonyms(cls, staff, text, value):
    e = enrol(cls, attendance_hours=Decimal("70"))
    summary = ri.results_import(
        training_class=cls, rows=numbered(row(e, result=text)), actor=staff
    )
    assert summary["errors"] == [] and summary["updated"] == 1
    e.refresh_from_db()
    assert e.result == value
    assert e.assessed_at is not None


def test_a_row_needs_at_least_one_value(cls):
    e = enrol(cls)
    plan = ri.results_plan(training_class=cls, rows=numbered(row(e)))
    assert only_error(plan) == (
        2,
        "",
        "请至少填写出勤课时、考核成绩或考核结果中的一项。",
    )


def test_a_pass_needs_the_threshold_with_the_rows_hours(cls):
    e = enrol(cls, attendance_hours=Decimal("80"))
    plan = ri.results_plan(
        training_class=cls,
        rows=numbered(row(e, attendance_hours="63.5", result="合格")),
    )
    number, column, message = only_error(plan)
    assert (number, column) == (2, "考核结果")
    assert "出勤不足80%" in message and "不能评为合格" in message


def test_a_pass_needs_the_threshold_with_the_stored_hours(cls):
    e = enrol(cls, attendance_hours=Decimal("10"))
    plan = ri.results_plan(training_class=cls, rows=numbered(row(e, result="合格")))
    number, column, message = only_error(plan)
    assert (number, column) == (2, "考核结果")
    assert "出勤不足80%" in message


def test_a_pass_at_exactly_the_threshold_is_accepted(cls, staff):
    e = enrol(cls)
    summary = ri.results_import(
        training_class=cls,
        rows=numbered(row(e, attendance_hours="64", score="88.5", result="合格")),
        actor=staff,
    )
    assert summary == {"rows": 1, "updated": 1, "unchanged": 0, "errors": []}
    assert state(e) == (Decimal("64"), Decimal("88.5"), AssessmentResult.PASSED)


def test_hours_cannot_drop_below_the_threshold_under_an_existing_pass(cls):
    e = enrol(cls, attendance_hours=Decimal("70"), result=AssessmentResult.PASSED)
    plan = ri.results_plan(
        training_class=cls, rows=numbered(row(e, attendance_hours="60"))
    )
    assert only_error(plan) == (
        2,
        "出勤课时",
        "该学员已评为合格，出勤课时不能低于64；如需更正，请先修改考核结果。",
    )


def test_hours_may_drop_when_the_same_row_changes_the_pass(cls, staff):
    e = enrol(cls, attendance_hours=Decimal("70"), result=AssessmentResult.PASSED)
    summary = ri.results_import(
        training_class=cls,
        rows=numbered(row(e, attendance_hours="60", result="不合格")),
        actor=staff,
    )
    assert summary["errors"] == []
    assert state(e) == (Decimal("60"), None, AssessmentResult.FAILED)


def test_a_duplicate_reference_is_reported_on_the_second_row(cls):
    e = enrol(cls)
    plan = ri.results_plan(
        training_class=cls,
        rows=numbered(row(e, score="90"), row(e, score="91")),
    )
    assert only_error(plan) == (
        3,
        "报名编号",
        "报名编号与第 2 行重复，同一人只能出现一次。",
    )


@pytest.mark.parametrize(
    "status", [ClassStatus.OPEN, ClassStatus.APPROVED, ClassStatus.CANCELLED]
)
def test_a_class_that_is_not_running_or_finished_is_refused_once(status):
    cls = TrainingClassFactory(status=status)
    e = enrol(cls)
    plan = ri.results_plan(
        training_class=cls, rows=numbered(row(e, score="90"), row(e, score="x"))
    )
    number, column, message = only_error(plan)
    assert (number, column) == (0, "")
    assert "不能导入出勤和考核结果" in message


def test_a_finished_class_takes_results(staff, cls):
    cls.status = ClassStatus.FINISHED
    cls.save()
    e = enrol(cls)
    summary = ri.results_import(
        training_class=cls, rows=numbered(row(e, score="75")), actor=staff
    )
    assert summary["updated"] == 1


def test_errors_never_carry_an_id_number(cls):
    e = enrol(cls)
    stranger = make_id_number()
    plan = ri.results_plan(
        training_class=cls,
        rows=numbered(
            row(e, name="别人", score="1"),
            {"ref": stranger, "name": "某人", "id_number": stranger, "score": "1"},
        ),
    )
    text = json.dumps(plan.summary(), ensure_ascii=False)
    assert e.trainee.id_number not in text and stranger not in text
    assert e.trainee.name not in text


# --- apply ---------------------------------------------------------------------------


def test_only_changed_enrolments_are_written_and_a_second_run_changes_nothing(
    cls, staff
):
    a = enrol(cls, name="甲", attendance_hours=Decimal("70"))
    b = enrol(cls, name="乙", attendance_hours=Decimal("50"))
    rows = numbered(
        row(a, attendance_hours="72", score="90", result="合格"),
        row(b, attendance_hours="50"),
    )
    first = ri.results_import(training_class=cls, rows=rows, actor=staff)
    assert first == {"rows": 2, "updated": 1, "unchanged": 1, "errors": []}
    assessed = Enrolment.objects.get(pk=a.pk).assessed_at
    assert assessed is not None
    again = ri.results_import(training_class=cls, rows=rows, actor=staff)
    assert again == {"rows": 2, "updated": 0, "unchanged": 2, "errors": []}
    assert Enrolment.objects.get(pk=a.pk).assessed_at == assessed
    events = AuditEvent.objects.filter(action="results.import")
    assert events.count() == 2
    assert events.order_by("pk").first().after == {
        "rows": 2,
        "updated": 1,
        "unchanged": 1,
    }
    assert a.trainee.id_number not in json.dumps(list(events.values("after")))


def test_a_dry_run_writes_nothing(cls, staff):
    e = enrol(cls)
    summary = ri.results_import(
        training_class=cls,
        rows=numbered(row(e, score="90")),
        actor=staff,
        dry_run=True,
    )
    assert summary["updated"] == 1
    assert state(e) == (Decimal("0"), None, "")
    assert not AuditEvent.objects.filter(action="results.import").exists()


def test_a_file_with_any_error_writes_nothing(cls, staff):
    good, bad = enrol(cls, name="甲"), enrol(cls, name="乙")
    summary = ri.results_import(
        training_class=cls,
        rows=numbered(row(good, score="90"), row(bad, score="101")),
        actor=staff,
    )
    # The counts are the plan's, as in the roster preview; nothing is written.
    assert len(summary["errors"]) == 1
    assert state(good) == (Decimal("0"), None, "")


def test_apply_refuses_a_plan_with_errors(cls, staff):
    e = enrol(cls)
    plan = ri.results_plan(training_class=cls, rows=numbered(row(e, score="x")))
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        ri.results_import_apply(plan=plan, actor=staff)


def test_a_failure_while_writing_keeps_nothing(cls, staff, monkeypatch):
    a, b = enrol(cls, name="甲"), enrol(cls, name="乙")

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(Enrolment.objects, "bulk_update", broken)
    with pytest.raises(RuntimeError):
        ri.results_import(
            training_class=cls,
            rows=numbered(row(a, score="90"), row(b, attendance_hours="70")),
            actor=staff,
        )
    assert state(a) == state(b) == (Decimal("0"), None, "")
    assert not AuditEvent.objects.filter(action="results.import").exists()


def test_another_institutions_staff_is_refused_and_nothing_changes(cls):
    e = enrol(cls)
    other = staff_user(Role.INSTITUTION, institution=InstitutionFactory())
    rows = numbered(row(e, score="90"))
    with pytest.raises(PermissionDenied):
        ri.results_import(training_class=cls, rows=rows, actor=other)
    with pytest.raises(PermissionDenied):
        ri.results_import(training_class=cls, rows=rows, actor=other, dry_run=True)
    plan = ri.results_plan(training_class=cls, rows=rows)
    with pytest.raises(PermissionDenied):
        ri.results_import_apply(plan=plan, actor=other)
    assert state(e) == (Decimal("0"), None, "")


def _queries(cls, staff, enrolments):
    rows = numbered(
        *(row(e, attendance_hours="70", score="80", result="合格") for e in enrolments)
    )
    executed = []

    def count(execute, sql, params, many, context):
        executed.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        summary = ri.results_import(training_class=cls, rows=rows, actor=staff)
    assert summary["errors"] == [] and summary["updated"] == len(enrolments)
    return len(executed)


def test_queries_do_not_grow_with_the_rows(staff, cls):
    small_cls = TrainingClassFactory(
        status=ClassStatus.RUNNING, course=cls.course, capacity=200
    )
    small = [enrol(small_cls, name=f"甲{i}") for i in range(100)]
    large = [enrol(cls, name=f"乙{i}") for i in range(1000)]
    few = _queries(small_cls, staff, small)
    many = _queries(cls, staff, large)
    assert many - few < 30, (few, many)


# --- template and command ------------------------------------------------------------


def test_the_template_lists_the_active_enrolments_for_staff(cls, staff):
    a = enrol(cls, name="甲", attendance_hours=Decimal("70"))
    enrol(cls, name="乙", status=EnrolmentStatus.WITHDRAWN)
    sheet = openpyxl.load_workbook(
        io.BytesIO(ri.results_template(cls, actor=staff))
    ).active
    values = [[c.value for c in r] for r in sheet.iter_rows()]
    assert values[0] == [
        "报名编号*",
        "姓名*",
        "身份证号码",
        "出勤课时",
        "考核成绩",
        "考核结果",
    ]
    masked = pii.mask_id_number(a.trainee.id_number)
    assert masked != a.trainee.id_number
    assert values[1:] == [[ref(a), "甲", masked, 70, None, None]]
    assert sheet.cell(row=2, column=1).number_format == "@"
    assert sheet.cell(row=2, column=3).number_format == "@"
    lists = [dv.formula1 for dv in sheet.data_validations.dataValidation]
    assert '"合格,不合格,缺考"' in lists


def test_the_template_is_refused_to_anyone_else(cls):
    enrol(cls)
    other = staff_user(Role.INSTITUTION, institution=InstitutionFactory())
    with pytest.raises(PermissionDenied):
        ri.results_template(cls, actor=other)
    with pytest.raises(PermissionDenied):
        ri.results_template(cls, actor=None)


def run_command(*args):
    out = io.StringIO()
    try:
        call_command("import_results", *args, stdout=out)
    except CommandError as exc:
        return json.loads(out.getvalue() or "null"), exc
    return json.loads(out.getvalue()), None


def test_command_end_to_end_with_the_template(tmp_path, cls, staff):
    cls.code = "RES-1"
    cls.save()
    a = enrol(cls, name="甲")
    b = enrol(cls, name="乙")
    book = openpyxl.load_workbook(io.BytesIO(ri.results_template(cls, actor=staff)))
    sheet = book.active
    for r in sheet.iter_rows(min_row=2):
        if r[1].value == "甲":
            r[3].value, r[4].value, r[5].value = 72, 91.5, "合格"
        else:
            r[3].value = 30
    path = tmp_path / "results.xlsx"
    book.save(path)

    dry, error = run_command(
        "--class", "res-1", str(path), "--user", staff.username, "--dry-run"
    )
    assert error is None and dry["updated"] == 2
    assert state(a) == (Decimal("0"), None, "")
    first, error = run_command(
        "--class", str(cls.pk), str(path), "--user", staff.username
    )
    assert error is None
    assert first == {"rows": 2, "updated": 2, "unchanged": 0, "errors": []}
    assert state(a) == (Decimal("72"), Decimal("91.5"), AssessmentResult.PASSED)
    assert state(b) == (Decimal("30"), None, "")
    again, error = run_command("--class", "RES-1", str(path), "--user", staff.username)
    assert error is None and (again["updated"], again["unchanged"]) == (0, 2)


def test_command_refuses_another_institutions_user(tmp_path, cls, staff):
    e = enrol(cls)
    book = openpyxl.load_workbook(io.BytesIO(ri.results_template(cls, actor=staff)))
    book.active["E2"] = 90
    path = tmp_path / "results.xlsx"
    book.save(path)
    other = staff_user(Role.INSTITUTION, institution=InstitutionFactory())
    summary, error = run_command(
        "--class", str(cls.pk), str(path), "--user", other.username
    )
    assert error is not None
    assert summary["errors"][0]["row"] == 0
    assert state(e) == (Decimal("0"), None, "")


def test_command_refuses_bad_rows(tmp_path, cls, staff):
    enrol(cls)
    book = openpyxl.load_workbook(io.BytesIO(ri.results_template(cls, actor=staff)))
    book.active["E2"] = 120
    path = tmp_path / "results.xlsx"
    book.save(path)
    summary, error = run_command(
        "--class", str(cls.pk), str(path), "--user", staff.username
    )
    assert error is not None
    assert summary["errors"] == [
        {"row": 2, "column": "考核成绩", "message": "考核成绩应在 0 到 100 之间。"}
    ]


def test_command_unknown_user_is_a_clear_error(tmp_path, cls):
    with pytest.raises(CommandError, match="找不到用户"):
        call_command(
            "import_results",
            "--class",
            str(cls.pk),
            str(tmp_path / "x.xlsx"),
            "--user",
            "nobody",
        )
