"""Roster import: every row validated, applied at once, repeat-safe, set-based."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection

from courses import roster
from courses.models import (
    ClassStatus,
    Enrolment,
    EnrolmentSource,
    EnrolmentStatus,
    TrainingClass,
)
from tests.factories import (
    EnrolmentFactory,
    KeyGroupMembershipFactory,
    TraineeFactory,
    TrainingClassFactory,
    make_id_number,
)
from trainees.models import KeyGroupMembership, Trainee, id_number_hash
from training_platform.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def person(i: int, **cells) -> dict:
    """A valid roster row for person ``i`` (distinct ID number and phone)."""
    birth = dt.date(1970, 1, 1) + dt.timedelta(days=i)
    row = {
        "name": f"学员{i}",
        "id_number": make_id_number("520102", birth, seq=i % 1000),
        "phone": f"139{i:08d}",
        "household_region": "南明区",
        "education": "初中",
        "key_groups": "脱贫劳动力",
    }
    row.update(cells)
    return row


def numbered(*cells: dict, first: int = 2) -> list[tuple[int, dict]]:
    return list(enumerate(cells, start=first))


def only_error(plan):
    assert len(plan.errors) == 1, plan.errors
    return plan.errors[0]


@pytest.fixture
def cls():
    return TrainingClassFactory(capacity=30)


def counts():
    return (
        Trainee.objects.count(),
        KeyGroupMembership.objects.count(),
        Enrolment.objects.count(),
    )


# --- columns -------------------------------------------------------------------------


def test_columns_are_ordered_with_chinese_headers_and_required_marks():
    assert [c.key for c in roster.COLUMNS] == [
        "name",
        "id_number",
        "phone",
        "household_region",
        "education",
        "key_groups",
    ]
    assert [c.template_header for c in roster.COLUMNS[:3]] == [
        "姓名*",
        "身份证号码*",
        "手机号码*",
    ]
    assert not any(c.required for c in roster.COLUMNS[3:])


# --- one rule, one test ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "header", "message"),
    [
        ("name", "姓名", "请填写姓名"),
        ("id_number", "身份证号码", "请填写身份证号码"),
        ("phone", "手机号码", "请填写手机号码"),
    ],
)
def test_a_missing_required_value_is_reported_by_row_and_column(
    cls, key, header, message
):
    plan = roster.roster_plan(
        training_class=cls, rows=numbered(person(1), person(2, **{key: "  "}))
    )
    error = only_error(plan)
    assert (error.row, error.column) == (3, header)
    assert message in error.message
    assert len(plan.created) == 1  # the good row still plans


def test_a_wrong_check_digit_is_reported(cls):
    number = make_id_number(seq=5)
    wrong = number[:17] + ("0" if number[17] != "0" else "1")
    plan = roster.roster_plan(
        training_class=cls, rows=numbered(person(1, id_number=wrong))
    )
    error = only_error(plan)
    assert (error.row, error.column) == (2, "身份证号码")
    assert "校验位错误" in error.message


def test_an_impossible_birth_date_is_reported(cls):
    from training_platform.validators import complete_id_number

    plan = roster.roster_plan(
        training_class=cls,
        rows=numbered(person(1, id_number=complete_id_number("52010219900230123"))),
    )
    error = only_error(plan)
    assert error.column == "身份证号码"
    assert "19900230" in error.message
    assert "不存在" in error.message


def test_an_id_number_mangled_by_excel_is_rejected_not_guessed(cls):
    plan = roster.roster_plan(
        training_class=cls, rows=numbered(person(1, id_number="5.20102E+17"))
    )
    error = only_error(plan)
    assert error.column == "身份证号码"
    assert "科学计数法" in error.message


def test_an_invalid_phone_is_reported(cls):
    plan = roster.roster_plan(
        training_class=cls, rows=numbered(person(1, phone="0851-1234567"))
    )
    error = only_error(plan)
    assert (error.row, error.column) == (2, "手机号码")
    assert "11位" in error.message


def test_an_unknown_region_is_reported(cls):
    plan = roster.roster_plan(
        training_class=cls, rows=numbered(person(1, household_region="火星区"))
    )
    error = only_error(plan)
    assert (error.row, error.column) == (2, "户籍地")
    assert "未找到户籍地“火星区”" in error.message


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("南明区", "520102"),
        ("520102", "520102"),
        ("贵阳市", "520100"),
        ("贵州省贵阳市南明区", "520102"),
        ("贵阳市南明区", "520102"),
        ("", None),
        ("无", None),
        # the forms offices write (issue 9 #15)
        ("黔东南州", "522600"),
        ("凯里", "522601"),
        ("威宁县", "520526"),
        ("威宁", "520526"),
        ("遵义县", "520304"),
        ("盘县", "520281"),
        ("水城县", "520204"),
        ("黔西县", "520581"),
    ],
)
def test_a_region_is_found_by_name_code_or_full_name(cls, text, code):
    plan = roster.roster_plan(
        training_class=cls, rows=numbered(person(1, household_region=text))
    )
    assert plan.errors == []
    region = plan.created[0].household_region
    assert (region.code if region else None) == code


def test_an_ambiguous_region_names_the_candidates(cls):
    from training_platform.reference.models import Region, RegionLevel
    from training_platform.reference.regions import region_resolver_reset

    Region.objects.create(
        code="522799", name="南明县", level=RegionLevel.COUNTY, parent_id="522700"
    )
    try:
        plan = roster.roster_plan(
            training_class=cls, rows=numbered(person(1, household_region="南明"))
        )
    finally:
        region_resolver_reset()  # the rollback sends no signal
    error = only_error(plan)
    assert (error.row, error.column) == (2, "户籍地")
    assert "对应多个地区：贵阳市南明区（520102）、" in error.message
    assert "南明县（522799）" in error.message


def test_an_unknown_education_is_reported(cls):
    plan = roster.roster_plan(
        training_class=cls, rows=numbered(person(1, education="幼儿园"))
    )
    error = only_error(plan)
    assert (error.row, error.column) == (2, "文化程度")
    assert "无法识别" in error.message


def test_an_unknown_key_group_is_reported_and_known_ones_split(cls):
    plan = roster.roster_plan(
        training_class=cls,
        rows=numbered(
            person(1, key_groups="脱贫劳动力、退役军人，残疾人; 高校毕业生 失业人员"),
            person(2, key_groups="脱贫劳动力、外星人"),
        ),
    )
    error = only_error(plan)
    assert (error.row, error.column) == (3, "重点群体")
    assert "未知的重点群体“外星人”" in error.message
    assert [g.name for g in plan.created[0].key_groups] == [
        "脱贫劳动力",
        "退役军人",
        "残疾人",
        "高校毕业生",
        "失业人员",
    ]


def test_every_error_of_every_row_is_reported(cls):
    plan = roster.roster_plan(
        training_class=cls,
        rows=numbered(
            person(1, name="", phone="123"),
            person(2),
            person(3, id_number="123", education="幼儿园"),
        ),
    )
    assert [(e.row, e.column) for e in plan.errors] == [
        (2, "姓名"),
        (2, "手机号码"),
        (4, "身份证号码"),
        (4, "文化程度"),
    ]
    assert [r.row for r in plan.created] == [3]


def test_blank_rows_are_skipped(cls):
    rows = [(2, person(1)), (3, dict.fromkeys(person(2), " ")), (4, {})]
    plan = roster.roster_plan(training_class=cls, rows=rows)
    assert plan.rows == 1
    assert plan.errors == []


# --- people --------------------------------------------------------------------------


def test_a_duplicate_id_inside_the_file_names_the_first_row(cls):
    number = make_id_number("520102", dt.date(1990, 1, 1), seq=12)
    while not number.endswith("X"):  # a number with an X shows the lower-case case
        number = make_id_number("520102", dt.date(1990, 1, 1))
    full_width = number[:17].translate(
        str.maketrans("0123456789", "０１２３４５６７８９")
    )
    plan = roster.roster_plan(
        training_class=cls,
        rows=numbered(
            person(1, id_number=number),
            person(2),
            person(3, id_number=number.lower()),
            person(4, id_number=full_width + "ｘ"),
        ),
    )
    assert [(e.row, e.column) for e in plan.errors] == [
        (4, "身份证号码"),
        (5, "身份证号码"),
    ]
    assert all("与第 2 行重复" in e.message for e in plan.errors)
    assert [r.row for r in plan.created] == [2, 3]


def test_a_name_not_matching_the_id_on_file_is_reported_without_the_name(cls):
    number = make_id_number(seq=7)
    TraineeFactory(name="王秀英", id_number=number)
    plan = roster.roster_plan(
        training_class=cls, rows=numbered(person(1, name="李四", id_number=number))
    )
    error = only_error(plan)
    assert (error.row, error.column) == (2, "姓名")
    assert error.message == roster.NAME_MISMATCH
    assert "王" not in str(plan.summary())
    assert plan.matched == [] and plan.enrol == []


def test_a_known_person_is_linked_not_duplicated(cls):
    number = make_id_number(seq=8)
    trainee = TraineeFactory(name="张三", id_number=number)
    summary = roster.roster_import(
        training_class=cls,
        rows=numbered(person(1, name="张 三", id_number=f" {number.lower()} ")),
    )
    assert summary["created_trainees"] == 0
    assert summary["matched_trainees"] == 1
    assert summary["enrolled"] == 1
    assert Trainee.objects.count() == 1
    assert Enrolment.objects.get().trainee == trainee


# --- enrolment -----------------------------------------------------------------------


def test_already_enrolled_people_are_counted_not_errors(cls):
    row = person(1)
    EnrolmentFactory(
        training_class=cls,
        trainee=TraineeFactory(name=row["name"], id_number=row["id_number"]),
    )
    summary = roster.roster_import(training_class=cls, rows=numbered(row, person(2)))
    assert summary["errors"] == []
    assert summary["already_enrolled"] == 1
    assert summary["enrolled"] == 1
    cls.refresh_from_db()
    assert cls.seats_taken == 2


def test_a_withdrawn_enrolment_is_reactivated(cls):
    row = person(1)
    enrolment = EnrolmentFactory(
        training_class=cls,
        trainee=TraineeFactory(name=row["name"], id_number=row["id_number"]),
        source=EnrolmentSource.SELF,
    )
    Enrolment.objects.filter(pk=enrolment.pk).update(
        status=EnrolmentStatus.WITHDRAWN, withdrawn_at=dt.datetime.now(dt.UTC)
    )
    TrainingClass.objects.filter(pk=cls.pk).update(seats_taken=0)
    summary = roster.roster_import(training_class=cls, rows=numbered(row))
    assert summary["enrolled"] == 1
    assert summary["matched_trainees"] == 1
    enrolment.refresh_from_db()
    assert enrolment.status == EnrolmentStatus.ENROLLED
    assert enrolment.source == EnrolmentSource.ROSTER
    assert enrolment.withdrawn_at is None
    assert Enrolment.objects.count() == 1
    cls.refresh_from_db()
    assert cls.seats_taken == 1


def test_a_full_class_reports_the_overflow_rows_and_writes_nothing():
    cls = TrainingClassFactory(capacity=3)
    EnrolmentFactory(training_class=cls)
    before = counts()
    summary = roster.roster_import(
        training_class=cls, rows=numbered(*(person(i) for i in range(1, 6)))
    )
    assert summary["errors"] == [
        {"row": 4, "column": "", "message": "培训班名额已满（剩余 2 个名额）"},
        {"row": 5, "column": "", "message": "培训班名额已满（剩余 2 个名额）"},
        {"row": 6, "column": "", "message": "培训班名额已满（剩余 2 个名额）"},
    ]
    assert summary["enrolled"] == 2
    assert counts() == before
    cls.refresh_from_db()
    assert cls.seats_taken == 1


@pytest.mark.parametrize(
    "status",
    [
        ClassStatus.DRAFT,
        ClassStatus.FILED,
        ClassStatus.FINISHED,
        ClassStatus.CANCELLED,
    ],
)
def test_a_class_not_open_for_rosters_is_refused(status):
    cls = TrainingClassFactory(status=status)
    summary = roster.roster_import(training_class=cls, rows=numbered(person(1)))
    assert len(summary["errors"]) == 1
    error = summary["errors"][0]
    assert (error["row"], error["column"]) == (0, "")
    assert "不能导入花名册" in error["message"]
    assert Trainee.objects.count() == 0


@pytest.mark.parametrize(
    "status", [ClassStatus.APPROVED, ClassStatus.OPEN, ClassStatus.RUNNING]
)
def test_approved_open_and_running_classes_take_a_roster(status):
    cls = TrainingClassFactory(status=status)
    summary = roster.roster_import(training_class=cls, rows=numbered(person(1)))
    assert summary["errors"] == []
    assert summary["enrolled"] == 1


def test_apply_refuses_a_plan_with_errors(cls):
    plan = roster.roster_plan(
        training_class=cls, rows=numbered(person(1, phone="12"), person(2))
    )
    with pytest.raises(ValidationError) as excinfo:
        roster.roster_import_apply(plan=plan)
    assert excinfo.value.code == "roster_invalid"
    assert counts() == (0, 0, 0)


def test_a_dry_run_writes_nothing(cls):
    summary = roster.roster_import(
        training_class=cls, rows=numbered(person(1), person(2)), dry_run=True
    )
    assert summary["created_trainees"] == 2
    assert summary["enrolled"] == 2
    assert counts() == (0, 0, 0)


# --- applying --------------------------------------------------------------------------


def test_an_import_writes_people_key_groups_enrolments_and_seats(cls):
    summary = roster.roster_import(
        training_class=cls,
        rows=numbered(person(1, key_groups="脱贫劳动力、退役军人"), person(2)),
    )
    assert summary == {
        "rows": 2,
        "created_trainees": 2,
        "matched_trainees": 0,
        "enrolled": 2,
        "already_enrolled": 0,
        "errors": [],
    }
    trainee = Trainee.objects.get(id_number_hash=id_number_hash(person(1)["id_number"]))
    assert trainee.id_number == person(1)["id_number"]
    assert trainee.household_region_id == "520102"
    assert trainee.education == "junior"
    assert trainee.phone == "13900000001"
    assert sorted(
        trainee.key_group_memberships.values_list("group__name", flat=True)
    ) == ["脱贫劳动力", "退役军人"]
    assert set(KeyGroupMembership.objects.values_list("since", flat=True)) == {
        dt.date.today()
    }
    assert set(Enrolment.objects.values_list("source", "status")) == {
        (EnrolmentSource.ROSTER, EnrolmentStatus.ENROLLED)
    }
    cls.refresh_from_db()
    assert cls.seats_taken == 2


def test_a_key_group_the_person_already_holds_is_not_added_again(cls):
    row = person(1)
    trainee = TraineeFactory(name=row["name"], id_number=row["id_number"])
    KeyGroupMembershipFactory(trainee=trainee, group_id="poverty_alleviated")
    roster.roster_import(training_class=cls, rows=numbered(row))
    assert trainee.key_group_memberships.count() == 1


def test_importing_the_same_roster_twice_changes_nothing_the_second_time(cls):
    rows = numbered(*(person(i) for i in range(1, 11)))
    first = roster.roster_import(training_class=cls, rows=rows)
    assert (first["created_trainees"], first["enrolled"]) == (10, 10)
    after_first = counts()
    second = roster.roster_import(training_class=cls, rows=rows)
    assert second["created_trainees"] == 0
    assert second["enrolled"] == 0
    assert second["matched_trainees"] == 10
    assert second["already_enrolled"] == 10
    assert counts() == after_first
    cls.refresh_from_db()
    assert cls.seats_taken == 10


@pytest.mark.parametrize(
    ("failure", "raised"),
    [(IntegrityError, ValidationError), (RuntimeError, RuntimeError)],
)
def test_a_failure_midway_leaves_nothing_written(cls, failure, raised):
    table = Enrolment._meta.db_table
    seen = []

    def boom(execute, sql, params, many, context):
        # People and key groups are written by then; the enrolments fail.
        if sql.startswith("INSERT") and table in sql:
            raise failure("simulated failure")
        seen.append(sql)
        return execute(sql, params, many, context)

    plan = roster.roster_plan(
        training_class=cls, rows=numbered(person(1), person(2), person(3))
    )
    with connection.execute_wrapper(boom), pytest.raises(raised):
        roster.roster_import_apply(plan=plan)
    assert any(Trainee._meta.db_table in sql for sql in seen if "INSERT" in sql)
    assert counts() == (0, 0, 0)
    cls.refresh_from_db()
    assert cls.seats_taken == 0
    assert not AuditEvent.objects.filter(action="roster.import").exists()


def test_a_person_registered_between_preview_and_confirm_fails_the_whole_import(cls):
    plan = roster.roster_plan(training_class=cls, rows=numbered(person(1), person(2)))
    TraineeFactory(name="学员2", id_number=person(2)["id_number"])
    with pytest.raises(ValidationError) as excinfo:
        roster.roster_import_apply(plan=plan)
    assert excinfo.value.code == "conflict"
    assert counts() == (1, 0, 0)


def test_the_audit_event_holds_counts_and_no_id_number(cls):
    rows = numbered(person(1), person(2))
    roster.roster_import(training_class=cls, rows=rows)
    event = AuditEvent.objects.get(action="roster.import")
    assert (event.object_type, event.object_id) == (
        "courses.trainingclass",
        str(cls.pk),
    )
    assert event.after == {
        "rows": 2,
        "created_trainees": 2,
        "matched_trainees": 0,
        "enrolled": 2,
        "already_enrolled": 0,
    }
    stored = str(event.before) + str(event.after) + event.reason
    for _, cells in rows:
        assert cells["id_number"] not in stored
        assert cells["id_number"][-6:] not in stored


def test_the_plan_summary_has_exactly_the_documented_shape(cls):
    plan = roster.roster_plan(
        training_class=cls, rows=numbered(person(1), person(2, phone="x"))
    )
    assert plan.summary() == {
        "rows": 2,
        "created_trainees": 1,
        "matched_trainees": 0,
        "enrolled": 1,
        "already_enrolled": 0,
        "errors": [
            {
                "row": 3,
                "column": "手机号码",
                "message": "手机号码应为以1开头的11位数字。",
            }
        ],
    }


# --- set-based -------------------------------------------------------------------------


class QueryCounter:
    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def queries_for_import(n: int, offset: int) -> int:
    cls = TrainingClassFactory(capacity=n)
    # Half the people are already on file: both the create and the link path run.
    rows = numbered(*(person(offset + i) for i in range(n)))
    for _, cells in rows[: n // 2 : 10]:
        TraineeFactory(name=cells["name"], id_number=cells["id_number"])
    counter = QueryCounter()
    with connection.execute_wrapper(counter):
        summary = roster.roster_import(training_class=cls, rows=rows)
    assert summary["errors"] == []
    assert summary["enrolled"] == n
    return counter.count


def test_queries_grow_per_batch_not_per_row():
    small = queries_for_import(100, offset=0)
    large = queries_for_import(1000, offset=1000)
    # Per-row work would cost 1,000+ queries. SQLite takes at most 999 parameters per
    # statement (about 70 trainees an INSERT), so there the batches add a few more.
    assert large < small + 30, (small, large)
    assert large < 60, (small, large)
    if connection.vendor == "postgresql":
        assert large < 2 * small, (small, large)


# --- the bulk writer -------------------------------------------------------------------


def test_people_written_in_bulk_are_what_the_orm_would_write(cls):
    """Prepared tuples through executemany: every column as the model defines it."""
    from trainees.models import Education, Sex

    row = person(1, household_region="贵阳市南明区", education="本科")
    before = dt.datetime.now(dt.UTC)
    roster.roster_import(training_class=cls, rows=numbered(row))
    trainee = Trainee.objects.get()
    assert trainee.name == "学员1"
    assert trainee.id_number == row["id_number"]  # decrypts: stored encrypted
    assert trainee.id_number_hash == id_number_hash(row["id_number"])
    assert trainee.birth_year == 1970
    assert trainee.birth_date == dt.date(1970, 1, 2)  # from the decrypted number
    assert trainee.sex == (Sex.MALE if int(row["id_number"][16]) % 2 else Sex.FEMALE)
    assert trainee.household_region_id == trainee.residence_region_id == "520102"
    assert trainee.education == Education.BACHELOR
    assert trainee.phone == "13900000001"
    assert trainee.bank_account == ""
    assert trainee.user is None
    assert trainee.created_at >= before - dt.timedelta(seconds=1)
    assert trainee.updated_at == trainee.created_at
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id_number FROM {Trainee._meta.db_table}"  # noqa: S608
        )
        (stored,) = cursor.fetchone()
    assert row["id_number"] not in stored
    enrolment = Enrolment.objects.get()
    assert (enrolment.trainee, enrolment.training_class) == (trainee, cls)
    assert enrolment.status == EnrolmentStatus.ENROLLED
    assert enrolment.source == EnrolmentSource.ROSTER
    assert enrolment.enrolled_at >= before - dt.timedelta(seconds=1)
    assert enrolment.withdrawn_at is None
    assert enrolment.attendance_hours == 0
    assert enrolment.score is None and enrolment.result == ""
    membership = KeyGroupMembership.objects.get()
    assert (membership.trainee, membership.group_id) == (trainee, "poverty_alleviated")
    assert membership.since == dt.date.today()
    assert membership.until is None and membership.evidence == ""


@pytest.mark.parametrize("size", [3, 4, 5])
def test_batch_boundaries_change_nothing(monkeypatch, size):
    """Batches of 4 over 3, 4 and 5 rows of every kind: the same outcome as one batch."""
    monkeypatch.setattr(roster, "ROW_BATCH", 4)
    monkeypatch.setattr(roster, "IN_CHUNK", 4)
    cls = TrainingClassFactory(capacity=30)
    rows = [person(i, key_groups="脱贫劳动力、退役军人") for i in range(size * 3)]
    # Every third person is on file: enrolled, withdrawn, or not in this class.
    for i, cells in enumerate(rows):
        if i % 3:
            continue
        trainee = TraineeFactory(name=cells["name"], id_number=cells["id_number"])
        KeyGroupMembershipFactory(trainee=trainee, group_id="poverty_alleviated")
        kind = (i // 3) % 3
        if kind < 2:
            enrolment = EnrolmentFactory(training_class=cls, trainee=trainee)
            if kind == 1:
                Enrolment.objects.filter(pk=enrolment.pk).update(
                    status=EnrolmentStatus.WITHDRAWN
                )
    TrainingClass.objects.filter(pk=cls.pk).update(
        seats_taken=Enrolment.objects.filter(status=EnrolmentStatus.ENROLLED).count()
    )
    on_file = len(rows[::3])
    already = len(rows[::9])
    summary = roster.roster_import(training_class=cls, rows=numbered(*rows))
    assert summary == {
        "rows": size * 3,
        "created_trainees": size * 3 - on_file,
        "matched_trainees": on_file,
        "enrolled": size * 3 - already,
        "already_enrolled": already,
        "errors": [],
    }
    assert Trainee.objects.count() == size * 3
    assert (
        Enrolment.objects.filter(
            training_class=cls, status=EnrolmentStatus.ENROLLED
        ).count()
        == size * 3
    )
    held = set(KeyGroupMembership.objects.values_list("trainee__name", "group_id"))
    assert held == {
        (cells["name"], group)
        for cells in rows
        for group in ("poverty_alleviated", "veteran")
    }
    assert KeyGroupMembership.objects.count() == len(held)  # none twice
    for trainee in Trainee.objects.all():
        assert trainee.id_number_hash == id_number_hash(trainee.id_number)
    cls.refresh_from_db()
    assert cls.seats_taken == size * 3
    again = roster.roster_import(training_class=cls, rows=numbered(*rows))
    assert again["already_enrolled"] == size * 3 and again["enrolled"] == 0


def test_rows_are_checked_in_batches_as_they_are_read(cls, monkeypatch):
    """The plan looks people up per batch while reading, not after the whole file."""
    monkeypatch.setattr(roster, "ROW_BATCH", 5)
    read = 0

    def rows():
        nonlocal read
        for number, cells in numbered(*(person(i) for i in range(12))):
            read += 1
            yield number, cells

    read_at_lookup = []
    table = Trainee._meta.db_table

    def watch(execute, sql, params, many, context):
        if sql.startswith("SELECT") and table in sql and "IN (" in sql:
            read_at_lookup.append(read)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(watch):
        plan = roster.roster_plan(training_class=cls, rows=rows())
    assert len(plan.created) == 12
    assert read_at_lookup == [5, 10, 12]


def test_rows_are_read_before_the_write_transaction(cls):
    """A caller's progress updates while the rows are read must not wait for the commit."""
    in_transaction = []

    def rows():
        for number, cells in numbered(person(1), person(2)):
            in_transaction.append(len(connection.atomic_blocks))
            yield number, cells

    outer = len(connection.atomic_blocks)  # pytest-django's test transaction
    summary = roster.roster_import(training_class=cls, rows=rows())
    assert summary["enrolled"] == 2
    assert in_transaction == [outer, outer]


@pytest.mark.skipif(
    connection.vendor != "sqlite",
    reason="the page-cache tuning exists only for SQLite (PRAGMA cache_size)",
)
def test_a_large_write_gives_the_sqlite_cache_back(cls, monkeypatch):
    monkeypatch.setattr(roster, "_SQLITE_CACHE_FROM_ROWS", 1)
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        (before,) = cursor.fetchone()
        sizes = []

        def watch(execute, sql, params, many, context):
            if sql.startswith("INSERT"):
                cursor.execute("PRAGMA cache_size")
                sizes.append(cursor.fetchone()[0])
            return execute(sql, params, many, context)

        with connection.execute_wrapper(watch):
            roster.roster_import(training_class=cls, rows=numbered(person(1)))
        cursor.execute("PRAGMA cache_size")
        assert cursor.fetchone() == (before,)
    assert -roster.SQLITE_CACHE_KIB in sizes


def test_odd_cells_take_the_full_check_with_the_same_outcome(cls):
    """Full-width, spaced, lower-case and numeric cells: the slow path accepts them."""
    number = make_id_number("520102", dt.date(1990, 1, 1), seq=12)
    while not number.endswith("X"):
        number = make_id_number("520102", dt.date(1990, 1, 1))
    full_width = number[:17].translate(
        str.maketrans("0123456789", "０１２３４５６７８９")
    )
    plan = roster.roster_plan(
        training_class=cls,
        rows=numbered(
            person(1, id_number=full_width + "ｘ", phone="+86 139-0000-0001"),
            person(2, name=" 学 员 2 ", phone=13900000002, key_groups=" 无 "),
            person(3, household_region=None, education=None, key_groups=None),
        ),
    )
    assert plan.errors == []
    first, second, third = plan.created
    assert (first.id_number, first.phone) == (number, "13900000001")
    assert first.id_hash == id_number_hash(number)
    assert (second.name, second.phone, second.key_groups) == (
        "学员2",
        "13900000002",
        (),
    )
    assert (third.household_region, third.education) == (None, "")


# --- the enrolment rules every path shares ------------------------------------------


def _born_years_before(day: dt.date, years: int) -> dt.date:
    return day.replace(year=day.year - years)


def test_a_person_under_sixteen_at_class_start_is_a_row_error_as_in_self_service(
    cls,
):
    from courses import services

    young = _born_years_before(cls.start_date, 16) + dt.timedelta(days=1)  # 15
    row = person(1, id_number=make_id_number("520102", young, seq=1))
    plan = roster.roster_plan(training_class=cls, rows=numbered(row))
    error = only_error(plan)
    assert (error.row, error.column) == (2, "身份证号码")
    # The message self-service gives for the same person and class.
    with pytest.raises(ValidationError) as excinfo:
        services.enrolment_create(
            trainee=TraineeFactory(id_number=row["id_number"]), training_class=cls
        )
    assert error.message == excinfo.value.messages[0] == "报名者在开班时须年满16周岁。"
    assert plan.created == [] and plan.enrol == []


def test_a_person_sixteen_on_the_first_day_is_enrolled(cls):
    birth = _born_years_before(cls.start_date, 16)
    plan = roster.roster_plan(
        training_class=cls,
        rows=numbered(person(1, id_number=make_id_number("520102", birth, seq=1))),
    )
    assert plan.errors == [] and len(plan.enrol) == 1


def test_an_under_age_row_in_odd_cells_gets_the_same_error(cls):
    """The full check (full-width digits) applies the rule too."""
    young = _born_years_before(cls.start_date, 15)
    number = make_id_number("520102", young, seq=3)
    full_width = number.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    plan = roster.roster_plan(
        training_class=cls, rows=numbered(person(1, id_number=full_width))
    )
    error = only_error(plan)
    assert (error.column, error.message) == (
        "身份证号码",
        "报名者在开班时须年满16周岁。",
    )
