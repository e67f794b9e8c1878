"""Roster import (花名册导入): validate already-read rows, plan, apply atomically.

Reading the xlsx is not done here: callers hand in ``(excel row number, {column key:
cell text})`` pairs, usually a generator over the file. Everything is set-based: the
number of queries grows with the number of batches, never with the number of rows.

Two passes, so a large file costs little memory and the writing stays short:

* ``roster_plan`` reads the rows once, outside any transaction (so a caller's progress
  updates are seen while it runs), validates each row as it comes and looks people and
  enrolments up in batches of ``ROW_BATCH``. It keeps one small record per valid row,
  never the cells.
* ``roster_import_apply`` writes the plan in one transaction under the class's row
  lock, after checking seats and enrolments again: prepared tuples go to the database
  with ``executemany`` per batch (the ORM's per-field preparation of a bulk INSERT
  costs more than everything else together), new people's ids are read back by
  blind index. People and their key groups are written by
  ``trainees.services.trainee_create_many`` / ``key_group_memberships_add_many``;
  the statements come from ``training_platform.sql``.

Personal data (PIPL): ID numbers stay in memory only; errors, summaries and the audit
trail carry row numbers and counts, never an ID number or a name on file.
"""

import datetime as dt
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from courses.models import (
    ClassStatus,
    Enrolment,
    EnrolmentSource,
    EnrolmentStatus,
    TrainingClass,
)
from courses.services import Refusal, enrolment_refusals
from trainees.models import (
    ID_NUMBER_PURPOSE,
    Education,
    Trainee,
)
from trainees.services import (
    NewTrainee,
    key_group_memberships_add_many,
    trainee_create_many,
)
from training_platform import pii, sql, xlsx
from training_platform.audit.services import audit_record
from training_platform.errors import error_text
from training_platform.imports.kinds import (
    ERROR,
    Column,
    ImportKind,
    PlannedRow,
    RowError,
    error_details,
    errors_as_dicts,
)
from training_platform.reference.models import KeyGroup, Region
from training_platform.reference.regions import RegionUnresolved, region_resolver
from training_platform.validators import (
    id_number_info,
    id_number_quick,
    normalize,
    normalize_mobile,
    parse_id_number,
)

COLUMNS: tuple[Column, ...] = (
    Column("name", "姓名", ("姓名*", "学员姓名"), required=True),
    Column(
        "id_number",
        "身份证号码",
        ("身份证号码*", "身份证号", "公民身份号码", "身份证"),
        required=True,
    ),
    Column(
        "phone",
        "手机号码",
        ("手机号码*", "手机号", "手机", "联系电话", "联系方式"),
        required=True,
    ),
    Column("household_region", "户籍地", ("户籍所在地", "户籍地区", "户籍")),
    Column("education", "文化程度", ("学历",)),
    Column("key_groups", "重点群体", ("人员类别", "重点群体类别")),
)
HEADERS = {c.key: c.header for c in COLUMNS}

# Only classes that have been approved and have not ended take a roster.
ROSTER_CLASS_STATUSES = frozenset(
    {ClassStatus.APPROVED, ClassStatus.OPEN, ClassStatus.RUNNING}
)
# Values per IN (...) list (SQLite's parameter limit, see training_platform.sql).
IN_CHUNK = sql.IN_BATCH
BATCH_SIZE = 500
# Rows looked up (plan) and written (apply) per round trip: one IN (...) of blind
# indexes fits a batch.
ROW_BATCH = IN_CHUNK
# Distinct texts remembered per free-text column (a hostile file cannot grow it more).
_MEMO_MAX = 10_000

NAME_MAX_LENGTH = Trainee._meta.get_field("name").max_length
# What a row of the preview will do (``RosterPlan.people``).
CREATED, MATCHED, ALREADY = "created", "matched", "already"
OUTCOMES = (
    (CREATED, "新建学员并报名"),
    (MATCHED, "已有学员，报名"),
    (ALREADY, "已在本班"),
)
NAME_MISMATCH = "姓名与系统中该身份证号码的登记姓名不一致"
CLASS_FULL = "培训班名额已满（剩余 %(n)d 个名额）"
CONFLICT = (
    "导入时数据发生了变化（可能有人同时登记了相同的学员），本次未写入任何数据，"
    "请重新上传花名册。"
)
# What people write in an optional cell to mean "nothing".
_EMPTY_MARKS = frozenset({"", "无", "-", "/", "—", "否", "NONE", "N/A"})
_SPACES = re.compile(r"\s+")
_GROUP_SEPARATORS = re.compile(r"[、，,;；\s]+")
_EDUCATION_ALIASES = {
    "小学": Education.PRIMARY,
    "文盲": Education.PRIMARY,
    "半文盲": Education.PRIMARY,
    "高中": Education.SENIOR,
    "中专": Education.SENIOR,
    "技校": Education.SENIOR,
    "中职": Education.SENIOR,
    "职高": Education.SENIOR,
    "专科": Education.COLLEGE,
    "高职": Education.COLLEGE,
    "大学专科": Education.COLLEGE,
    "大学本科": Education.BACHELOR,
    "硕士": Education.POSTGRADUATE,
    "博士": Education.POSTGRADUATE,
    "研究生及以上": Education.POSTGRADUATE,
}


@dataclass(slots=True)
class RosterRow:
    """One valid row, as it will be written (personal data: holds the ID number)."""

    row: int
    name: str
    id_number: str = field(repr=False)  # normalised
    birth_date: dt.date = field(repr=False)
    id_hash: str = field(repr=False)
    phone: str
    household_region: Region | None
    education: str
    key_groups: tuple[KeyGroup, ...]
    trainee_id: int | None = None
    reactivate: bool = False  # a withdrawn enrolment comes back


@dataclass
class RosterPlan:
    training_class: TrainingClass
    rows: int = 0
    created: list[RosterRow] = field(default_factory=list)
    matched: list[RosterRow] = field(default_factory=list)
    enrol: list[RosterRow] = field(default_factory=list)
    already_enrolled: list[RosterRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    # Rows with an error: (name as typed, masked ID number as typed), for ``people``.
    error_who: dict[int, tuple[str, str]] = field(default_factory=dict, repr=False)

    def people(self) -> list[PlannedRow]:
        """Every row read, in row order, with what importing would do to the person."""
        mask = pii.mask_id_number
        already = {r.row for r in self.already_enrolled}
        out = [
            PlannedRow(
                r.row, r.name, CREATED, "新建学员档案并报名本班", mask(r.id_number)
            )
            for r in self.created
        ]
        for r in self.matched:
            if r.row in already:
                out.append(
                    PlannedRow(
                        r.row,
                        r.name,
                        ALREADY,
                        "已在本班，不重复报名",
                        mask(r.id_number),
                    )
                )
            else:
                detail = (
                    "曾退出本班，恢复报名" if r.reactivate else "已有学员档案，报名本班"
                )
                out.append(
                    PlannedRow(r.row, r.name, MATCHED, detail, mask(r.id_number))
                )
        for number, detail in error_details(self.errors).items():
            if number:  # 0: the whole file, shown with the errors
                name, ident = self.error_who.get(number, ("", ""))
                out.append(PlannedRow(number, name, ERROR, detail, ident))
        out.sort(key=lambda p: p.number)
        return out

    def summary(self) -> dict:
        """Counts and errors, in the shape screens and the API show."""
        return _summary(
            rows=self.rows,
            created=len(self.created),
            matched=len(self.matched),
            enrolled=len(self.enrol),
            already_enrolled=len(self.already_enrolled),
            errors=self.errors,
        )


def _summary(*, rows, created, matched, enrolled, already_enrolled, errors) -> dict:
    return {
        "rows": rows,
        "created_trainees": created,
        "matched_trainees": matched,
        "enrolled": enrolled,
        "already_enrolled": already_enrolled,
        "errors": errors_as_dicts(errors),
    }


def chunks(items: list, size: int | None = None) -> Iterator[list]:
    size = size or IN_CHUNK
    for start in range(0, len(items), size):
        yield items[start : start + size]


def bare_name(name) -> str:
    """A name as compared: every kind of space removed (``张 三`` is ``张三``)."""
    text = name if name.__class__ is str else str(name or "")
    if text.isalnum():  # most names: nothing to remove
        return text
    # str.split() splits on exactly what ``\s`` matches.
    return "".join(text.split())


def optional_text(value) -> str:
    text = normalize(value)
    return "" if text in _EMPTY_MARKS else text


def _has_text(cells: dict) -> bool:
    """Whether a row has anything but spaces in it (blank rows are skipped)."""
    for value in cells.values():
        if value.__class__ is str:
            if value and not value.isspace():
                return True
        elif bare_name(value):
            return True
    return False


def _class_closed_message(cls: TrainingClass) -> str:
    return (
        f"培训班当前状态为“{cls.get_status_display()}”，不能导入花名册"
        "（只有已批准、报名中或培训中的培训班可以导入）。"
    )


# --- reference lookups, loaded once per file ----------------------------------------------


def _education_lookup() -> dict[str, str]:
    lookup = {normalize(label): value for value, label in Education.choices}
    lookup.update({normalize(value): value for value in Education.values})
    lookup.update({normalize(k): v for k, v in _EDUCATION_ALIASES.items()})
    return lookup


# --- checking one row ----------------------------------------------------------------------


class _RowChecker:
    """Checks rows against reference data loaded once per file.

    The free-text columns (region, education, key groups) repeat a few hundred
    distinct texts across a file, so each text's outcome is worked out once.
    """

    def __init__(self, training_class: TrainingClass):
        # parse_id_number's own default, fixed for the whole file.
        self.today = dt.date.today()
        self.training_class = training_class
        self.regions = region_resolver()
        self.educations = _education_lookup()
        self.groups = {
            normalize(g.name): g for g in KeyGroup.objects.filter(is_active=True)
        }
        self.group_names = "、".join(g.name for g in self.groups.values())
        self.hash = pii.blind_indexer(purpose=ID_NUMBER_PURPOSE)
        self._regions: dict = {}
        self._educations: dict = {}
        self._key_groups_memo: dict = {}

    def _remember(self, memo: dict, value, work):
        try:
            return memo[value]
        except KeyError:
            outcome = work(value)
            if len(memo) < _MEMO_MAX:
                memo[value] = outcome
            return outcome
        except TypeError:  # not hashable: not from a file, but callers may pass it
            return work(value)

    def refusals(self, birth_date: dt.date) -> list[Refusal]:
        """The enrolment rules every path applies (``services.enrolment_refusals``)."""
        return enrolment_refusals(
            birth_date=birth_date, training_class=self.training_class
        )

    def region(self, value) -> tuple[Region | None, str]:
        """The region a cell names, or an error message."""
        return self._remember(self._regions, value, self._region)

    def _region(self, value) -> tuple[Region | None, str]:
        if optional_text(value):
            try:
                return self.regions.resolve(value), ""
            except RegionUnresolved as exc:
                return None, error_text(exc, sep=" ")
        return None, ""

    def education(self, value) -> tuple[str, str]:
        """The education value a cell names, or an error message."""
        return self._remember(self._educations, value, self._education)

    def _education(self, value) -> tuple[str, str]:
        if text := optional_text(value):
            education = self.educations.get(text, "")
            if not education:
                return "", (
                    f"文化程度“{text}”无法识别，可填："
                    + "、".join(Education.labels)
                    + "。"
                )
            return education, ""
        return "", ""

    def key_groups(self, value) -> tuple[tuple[KeyGroup, ...], str]:
        """The key groups a cell names (in order, once each), or an error message."""
        return self._remember(self._key_groups_memo, value, self._key_groups)

    def _key_groups(self, value) -> tuple[tuple[KeyGroup, ...], str]:
        key_groups: list[KeyGroup] = []
        if not optional_text(value):
            return (), ""
        unknown = []
        # Split before normalising: spaces separate groups here.
        for raw in _GROUP_SEPARATORS.split(str(value)):
            part = normalize(raw)
            if part in _EMPTY_MARKS:
                continue
            group = self.groups.get(part)
            if group is None:
                unknown.append(part)
            elif group not in key_groups:
                key_groups.append(group)
        if unknown:
            return (), (
                f"未知的重点群体“{'、'.join(unknown)}”，可填：{self.group_names}。"
            )
        return tuple(key_groups), ""

    def check(self, number: int, cells: dict) -> RosterRow | list[RowError]:
        """One row, normalised, or every error found in it."""
        try:
            row = self._check_quickly(number, cells.get)
        except TypeError:  # a cell that is not text or a number (never from a file)
            row = None
        return row or self._check_fully(number, cells)

    def _check_quickly(self, number: int, get) -> RosterRow | None:
        """The row if it is valid as most rows are (``None``: check it fully)."""
        name = bare_name(get("name"))
        quick = id_number_quick(get("id_number"), today=self.today)
        if quick is None or not name or len(name) > NAME_MAX_LENGTH:
            return None
        try:
            phone = normalize_mobile(get("phone"))
        except ValidationError:
            return None
        value = get("household_region")
        region, error = self._regions.get(value) or self.region(value)
        if error:
            return None
        value = get("education")
        education, error = self._educations.get(value) or self.education(value)
        if error:
            return None
        value = get("key_groups")
        groups, error = self._key_groups_memo.get(value) or self.key_groups(value)
        if error:
            return None
        id_number, birth_date = quick
        if self.refusals(birth_date):
            return None
        return RosterRow(
            row=number,
            name=name,
            id_number=id_number,
            birth_date=birth_date,
            id_hash=self.hash(id_number),
            phone=phone,
            household_region=region,
            education=education,
            key_groups=groups,
        )

    def _check_fully(self, number: int, cells: dict) -> RosterRow | list[RowError]:
        """``check`` rule by rule, for rows the quick path did not accept."""
        errors: list[RowError] = []

        def error(key: str, message: str) -> None:
            errors.append(RowError(number, HEADERS[key], message))

        name = bare_name(cells.get("name"))
        if not name:
            error("name", "请填写姓名。")
        elif len(name) > NAME_MAX_LENGTH:
            error("name", f"姓名最多{NAME_MAX_LENGTH}个字。")

        info = None
        try:
            info = parse_id_number(cells.get("id_number"), today=self.today)
        except ValidationError as exc:
            error("id_number", error_text(exc, sep=" "))
        else:
            for refusal in self.refusals(info.birth_date):
                error("id_number", refusal.message)

        phone = ""
        try:
            phone = normalize_mobile(cells.get("phone"))
        except ValidationError as exc:
            error("phone", error_text(exc, sep=" "))

        region, message = self.region(cells.get("household_region"))
        if message:
            error("household_region", message)
        education, message = self.education(cells.get("education"))
        if message:
            error("education", message)
        groups, message = self.key_groups(cells.get("key_groups"))
        if message:
            error("key_groups", message)

        if errors:
            return errors
        return RosterRow(
            row=number,
            name=name,
            id_number=info.number,
            birth_date=info.birth_date,
            id_hash=self.hash(info.number),
            phone=phone,
            household_region=region,
            education=education,
            key_groups=groups,
        )


# --- plan ----------------------------------------------------------------------------------


def roster_plan(
    *, training_class: TrainingClass, rows: Iterable[tuple[int, dict[str, str]]]
) -> RosterPlan:
    """Validate every row and plan what an import would create, link and enrol."""
    cls = TrainingClass.objects.get(pk=training_class.pk)
    plan = RosterPlan(training_class=cls)
    if cls.status not in ROSTER_CLASS_STATUSES:
        plan.rows = sum(1 for _number, cells in rows if _has_text(cells))
        plan.errors.append(RowError(0, "", _class_closed_message(cls)))
        return plan

    checker = _RowChecker(cls)
    first_row_of: dict[str, int] = {}
    batch: list[RosterRow] = []
    for number, cells in rows:
        if not _has_text(cells):
            continue
        plan.rows += 1
        row = checker.check(number, cells)
        if row.__class__ is not RosterRow:
            plan.errors.extend(row)
            plan.error_who[number] = _typed_who(cells)
            continue
        first = first_row_of.setdefault(row.id_number, number)
        if first != number:
            plan.error_who[number] = (row.name, pii.mask_id_number(row.id_number))
            plan.errors.append(
                RowError(
                    number,
                    HEADERS["id_number"],
                    f"身份证号码与第 {first} 行重复，同一人只能出现一次。",
                )
            )
            continue
        batch.append(row)
        if len(batch) >= ROW_BATCH:
            _plan_batch(plan, batch)
            batch = []
    _plan_batch(plan, batch)

    seats_left = cls.seats_left
    if len(plan.enrol) > seats_left:
        overflow = {r.row for r in plan.enrol[seats_left:]}
        message = CLASS_FULL % {"n": seats_left}
        plan.errors.extend(RowError(n, "", message) for n in sorted(overflow))
        plan.error_who.update(
            (r.row, (r.name, pii.mask_id_number(r.id_number)))
            for r in plan.enrol[seats_left:]
        )
        plan.enrol = plan.enrol[:seats_left]
        plan.created = [r for r in plan.created if r.row not in overflow]
        plan.matched = [r for r in plan.matched if r.row not in overflow]
    plan.errors.sort(key=lambda e: e.row)
    return plan


def _typed_who(cells: dict) -> tuple[str, str]:
    """A bad row's person as typed: the name, and the ID number masked."""
    try:
        name = bare_name(cells.get("name"))[:NAME_MAX_LENGTH]
        ident = pii.mask_id_number(normalize(cells.get("id_number")))
    except TypeError:  # a cell that is not text or a number (never from a file)
        return "", ""
    return name, ident


def _class_enrolments(cls: TrainingClass, columns: tuple[str, ...], trainee_ids):
    """``columns`` of the class's enrolments of these people."""
    return sql.select_in(
        Enrolment,
        columns,
        "trainee",
        trainee_ids,
        where=f"{sql.column(Enrolment, 'training_class')} = %s",
        params=(cls.pk,),
        size=IN_CHUNK,
    )


def _plan_batch(plan: RosterPlan, batch: list[RosterRow]) -> None:
    """Sort valid rows into new people, people on file, and their enrolments."""
    if not batch:
        return
    # People already on file, by blind index.
    existing: dict[str, tuple[int, str]] = {
        id_hash: (pk, name)
        for id_hash, pk, name in sql.select_in(
            Trainee,
            ("id_number_hash", "id", "name"),
            "id_number_hash",
            [r.id_hash for r in batch],
            size=IN_CHUNK,
        )
    }
    statuses: dict[int, str] = dict(
        _class_enrolments(
            plan.training_class,
            ("trainee", "status"),
            [pk for pk, _name in existing.values()],
        )
    )

    for row in batch:
        found = existing.get(row.id_hash)
        if found is None:
            plan.created.append(row)
            plan.enrol.append(row)
            continue
        pk, name = found
        if bare_name(name) != row.name:
            # Never tell which name is on file.
            plan.errors.append(RowError(row.row, HEADERS["name"], NAME_MISMATCH))
            plan.error_who[row.row] = (row.name, pii.mask_id_number(row.id_number))
            continue
        row.trainee_id = pk
        plan.matched.append(row)
        status = statuses.get(pk)
        if status == EnrolmentStatus.ENROLLED:
            plan.already_enrolled.append(row)
        else:
            row.reactivate = status == EnrolmentStatus.WITHDRAWN
            plan.enrol.append(row)


# --- apply ---------------------------------------------------------------------------------


def roster_import_apply(*, plan: RosterPlan, actor=None, request=None) -> dict:
    """Write a valid plan at once: trainees, key groups, enrolments, seats, audit."""
    if plan.errors:
        raise ValidationError(
            "花名册有 %(n)d 处错误，请改正后重新上传；本次未导入任何数据。",
            code="roster_invalid",
            params={"n": len(plan.errors)},
        )
    try:
        with transaction.atomic():
            return _apply(plan, actor=actor, request=request)
    except IntegrityError:
        # A duplicate written by someone else in the meantime: nothing was kept.
        raise ValidationError(CONFLICT, code="conflict") from None


def _apply(plan: RosterPlan, *, actor, request) -> dict:
    cls = TrainingClass.objects.select_for_update().get(pk=plan.training_class.pk)
    if cls.status not in ROSTER_CLASS_STATUSES:
        raise ValidationError(_class_closed_message(cls), code="closed")

    # The plan may be stale: read this class's enrolments again under the lock.
    current: dict[int, tuple[int, str]] = {
        trainee_id: (pk, status)
        for trainee_id, pk, status in _class_enrolments(
            cls, ("trainee", "id", "status"), [r.trainee_id for r in plan.matched]
        )
    }
    enrol_matched: list[int] = []
    reactivate: list[int] = []
    already = 0
    for row in plan.matched:
        pk, status = current.get(row.trainee_id, (None, None))
        if status == EnrolmentStatus.ENROLLED:
            already += 1
        elif status == EnrolmentStatus.WITHDRAWN:
            reactivate.append(pk)
        else:
            enrol_matched.append(row.trainee_id)
    new_active = len(plan.created) + len(enrol_matched) + len(reactivate)
    if new_active > cls.seats_left:
        raise ValidationError(CLASS_FULL, code="full", params={"n": cls.seats_left})

    writer = _RosterWriter(cls)
    with connection.cursor() as cursor, _sqlite_cache(cursor, len(plan.created)):
        for batch in chunks(plan.created, ROW_BATCH):
            writer.create(cursor, batch)
        writer.add_memberships(plan.matched)
        for batch in chunks(enrol_matched, ROW_BATCH):
            writer.enrol(cursor, batch)
    for chunk in chunks(reactivate):
        Enrolment.objects.filter(pk__in=chunk).update(
            status=EnrolmentStatus.ENROLLED,
            source=EnrolmentSource.ROSTER,
            withdrawn_at=None,
        )
    if new_active:
        TrainingClass.objects.filter(pk=cls.pk).update(
            seats_taken=F("seats_taken") + new_active
        )

    summary = _summary(
        rows=plan.rows,
        created=len(plan.created),
        matched=len(plan.matched),
        enrolled=new_active,
        already_enrolled=already,
        errors=[],
    )
    audit_record(
        actor=actor,
        action="roster.import",
        obj=cls,
        after={k: v for k, v in summary.items() if k != "errors"},
        request=request,
    )
    return summary


# SQLite's page cache (KiB) while many people are written. The default 2 MiB is far
# smaller than the trainee table's indexes at 100,000 rows, and the writes then spend
# more time evicting and re-reading pages than inserting (16 MiB: 3.3 s -> 1.4 s).
SQLITE_CACHE_KIB = 16 * 1024
_SQLITE_CACHE_FROM_ROWS = 5000


@contextmanager
def _sqlite_cache(cursor, rows: int):
    """A larger SQLite page cache for a large write, the connection's own one after."""
    if connection.vendor != "sqlite" or rows < _SQLITE_CACHE_FROM_ROWS:
        yield
        return
    cursor.execute("PRAGMA cache_size")
    (previous,) = cursor.fetchone()
    cursor.execute(f"PRAGMA cache_size = {-SQLITE_CACHE_KIB:d}")
    try:
        yield
    finally:
        cursor.execute(f"PRAGMA cache_size = {int(previous):d}")


class _RosterWriter:
    """Writes a plan's people, key groups and enrolments, batch by batch.

    People and key groups go through ``trainees.services`` (set-based); only the
    enrolments, this app's own rows, are inserted here.
    """

    def __init__(self, cls: TrainingClass):
        self.cls = cls
        self.today = timezone.localdate()
        self.enrolments = sql.Insert(
            Enrolment,
            ("trainee",),
            values={
                "training_class": cls.pk,
                "status": EnrolmentStatus.ENROLLED,
                "source": EnrolmentSource.ROSTER,
            },
            now=timezone.now(),
        )

    def create(self, cursor, rows: list[RosterRow]) -> None:
        """New people (someone else's duplicate meanwhile fails it all), enrolled."""
        ids = trainee_create_many(
            people=[
                NewTrainee(
                    name=row.name,
                    id_number=id_number_info(row.id_number, row.birth_date),
                    id_hash=row.id_hash,
                    phone=row.phone,
                    household_region=row.household_region,
                    residence_region=row.household_region,
                    education=row.education,
                    key_groups=row.key_groups,
                )
                for row in rows
            ],
            since=self.today,
        )
        for row, pk in zip(rows, ids, strict=True):
            row.trainee_id = pk
        self.enrol(cursor, ids)

    def enrol(self, cursor, trainee_ids: list[int]) -> None:
        self.enrolments.run(cursor, [(pk,) for pk in trainee_ids])

    def add_memberships(self, rows: list[RosterRow]) -> None:
        """Key groups from the roster, from today; a group a person holds stays as it is."""
        key_group_memberships_add_many(
            memberships=[
                (row.trainee_id, g.pk) for row in rows for g in row.key_groups
            ],
            since=self.today,
        )


# --- both ----------------------------------------------------------------------------------


class RosterImport(ImportKind):
    """花名册: new people are created, known ones matched, everyone enrolled."""

    key = "roster"
    noun = "花名册"
    columns = COLUMNS
    counts = ("created_trainees", "matched_trainees", "enrolled", "already_enrolled")
    outcomes = OUTCOMES
    text_keys = frozenset({"id_number", "phone"})

    def skip_row(self, cells: dict) -> bool:
        return is_sample(cells)

    def plan(self, *, target, rows) -> RosterPlan:
        return roster_plan(training_class=target, rows=rows)

    def apply(self, *, plan, actor=None, request=None) -> dict:
        return roster_import_apply(plan=plan, actor=actor, request=request)


ROSTER_IMPORT = RosterImport()


def roster_import(
    *,
    training_class: TrainingClass,
    rows: Iterable[tuple[int, dict[str, str]]],
    actor=None,
    request=None,
    dry_run: bool = False,
) -> dict:
    """Plan a roster and, unless it is a dry run or has errors, apply it; the summary."""
    return ROSTER_IMPORT.run(
        target=training_class, rows=rows, actor=actor, request=request, dry_run=dry_run
    )


# --- xlsx in and out -------------------------------------------------------------------


def read_roster(fileobj, *, limits: xlsx.Limits = xlsx.DEFAULT_LIMITS):
    """The roster rows of an xlsx file (``training_platform.imports.reading``)."""
    return ROSTER_IMPORT.read(fileobj, limits=limits)


def is_sample(row: dict) -> bool:
    name = row.get("name") or ""
    return (
        # Cheap first: a name that is 张三 once spaces are gone has both characters.
        "张" in name
        and "三" in name
        and normalize(row.get("id_number")) == SAMPLE_ROW["id_number"]
        and bare_name(name) == SAMPLE_ROW["name"]
    )


SAMPLE_ROW = {
    "name": "张三",
    "id_number": "11010519491231002X",  # the standard's published example
    "phone": "13800000000",
    "household_region": "南明区",
    "education": Education.SENIOR.label,
    "key_groups": "农村转移劳动力",
}


def roster_template(training_class: TrainingClass | None = None) -> bytes:
    """The roster template: Chinese headers, a sample row, lists, ID/phone as text."""
    index = {c.key: i for i, c in enumerate(COLUMNS)}
    groups = list(
        KeyGroup.objects.filter(is_active=True).values_list("name", flat=True)
    )
    return xlsx.write_xlsx(
        [c.template_header for c in COLUMNS],
        [],
        sheet_title=training_class.code if training_class else "花名册",
        text_columns={index["id_number"], index["phone"]},
        validations={
            index["education"]: [label for _value, label in Education.choices],
            index["key_groups"]: groups,
        },
        sample_row=[SAMPLE_ROW[c.key] for c in COLUMNS],
    )
