"""Roster import (花名册导入): validate already-read rows, plan, apply atomically.

Reading the xlsx is not done here: callers hand in ``(excel row number, {column key:
cell text})`` pairs. Everything is set-based: the number of queries grows with the
number of batches, never with the number of rows.

Personal data (PIPL): ID numbers stay in memory only; errors, summaries and the audit
trail carry row numbers and counts, never an ID number or a name on file.
"""

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from courses.models import (
    ClassStatus,
    Enrolment,
    EnrolmentSource,
    EnrolmentStatus,
    TrainingClass,
)
from trainees.models import (
    Education,
    KeyGroupMembership,
    Trainee,
    id_number_fields,
    id_number_hash,
)
from training_platform import xlsx
from training_platform.audit.services import audit_record
from training_platform.reference.models import KeyGroup, Region, RegionLevel
from training_platform.validators import (
    IdNumberInfo,
    normalize,
    normalize_mobile,
    parse_id_number,
)


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    aliases: tuple[str, ...] = ()
    required: bool = False

    @property
    def template_header(self) -> str:
        """The header as the template shows it (required columns end with ``*``)."""
        return f"{self.header}*" if self.required else self.header


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
# SQLite allows 999 parameters per statement; PostgreSQL far more.
IN_CHUNK = 900
BATCH_SIZE = 500

NAME_MAX_LENGTH = Trainee._meta.get_field("name").max_length
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


@dataclass
class RowError:
    row: int
    column: str
    message: str


@dataclass(slots=True)
class RosterRow:
    """One valid row, as it will be written (personal data: holds the ID number)."""

    row: int
    name: str
    info: IdNumberInfo = field(repr=False)
    id_hash: str = field(repr=False)
    phone: str
    household_region: Region | None
    education: str
    key_groups: list[KeyGroup]
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
        "errors": [
            {"row": e.row, "column": e.column, "message": e.message} for e in errors
        ],
    }


def chunks(items: list, size: int = IN_CHUNK) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def bare_name(name) -> str:
    """A name as compared: every kind of space removed (``张 三`` is ``张三``)."""
    return _SPACES.sub("", str(name or ""))


def error_message(exc: ValidationError) -> str:
    return " ".join(exc.messages)


def optional_text(value) -> str:
    text = normalize(value)
    return "" if text in _EMPTY_MARKS else text


def _class_closed_message(cls: TrainingClass) -> str:
    return (
        f"培训班当前状态为“{cls.get_status_display()}”，不能导入花名册"
        "（只有已批准、报名中或培训中的培训班可以导入）。"
    )


# --- reference lookups, loaded once per file ----------------------------------------------


def _region_lookup() -> dict[str, Region]:
    """Counties and prefectures by code, by name and by ``市（州）+县`` name."""
    regions = list(Region.objects.exclude(level=RegionLevel.PROVINCE))
    by_code = {r.code: r for r in regions}
    lookup: dict[str, Region] = {}
    for r in regions:
        lookup[r.code] = r
        lookup[normalize(r.name)] = r
    for r in regions:
        parent = by_code.get(r.parent_id) if r.level == RegionLevel.COUNTY else None
        if parent is not None:
            lookup[normalize(parent.name + r.name)] = r
    return lookup


def _find_region(lookup: dict[str, Region], text: str) -> Region | None:
    for prefix in ("", "贵州省", "贵州"):
        if text.startswith(prefix) and (found := lookup.get(text[len(prefix) :])):
            return found
    return None


def _education_lookup() -> dict[str, str]:
    lookup = {normalize(label): value for value, label in Education.choices}
    lookup.update({normalize(value): value for value in Education.values})
    lookup.update({normalize(k): v for k, v in _EDUCATION_ALIASES.items()})
    return lookup


# --- plan ----------------------------------------------------------------------------------


def roster_plan(
    *, training_class: TrainingClass, rows: Iterable[tuple[int, dict[str, str]]]
) -> RosterPlan:
    """Validate every row and plan what an import would create, link and enrol."""
    cls = TrainingClass.objects.get(pk=training_class.pk)
    plan = RosterPlan(training_class=cls)
    rows = [
        (n, cells) for n, cells in rows if any(bare_name(v) for v in cells.values())
    ]
    plan.rows = len(rows)
    if cls.status not in ROSTER_CLASS_STATUSES:
        plan.errors.append(RowError(0, "", _class_closed_message(cls)))
        return plan

    regions = _region_lookup()
    educations = _education_lookup()
    groups = {normalize(g.name): g for g in KeyGroup.objects.filter(is_active=True)}
    group_names = "、".join(g.name for g in groups.values())

    valid: list[RosterRow] = []
    first_row_of: dict[str, int] = {}
    for number, cells in rows:
        errors = _check_row(
            number,
            cells,
            regions=regions,
            educations=educations,
            groups=groups,
            group_names=group_names,
        )
        if isinstance(errors, RosterRow):
            row = errors
            first = first_row_of.setdefault(row.info.number, number)
            if first != number:
                plan.errors.append(
                    RowError(
                        number,
                        HEADERS["id_number"],
                        f"身份证号码与第 {first} 行重复，同一人只能出现一次。",
                    )
                )
            else:
                valid.append(row)
        else:
            plan.errors.extend(errors)

    # People already on file, by blind index, for the whole file at once.
    existing: dict[str, Trainee] = {}
    for chunk in chunks([r.id_hash for r in valid]):
        for trainee in Trainee.objects.filter(id_number_hash__in=chunk).only(
            "pk", "name", "id_number_hash"
        ):
            existing[trainee.id_number_hash] = trainee
    statuses: dict[int, str] = {}
    for chunk in chunks([t.pk for t in existing.values()]):
        statuses.update(
            Enrolment.objects.filter(
                training_class=cls, trainee_id__in=chunk
            ).values_list("trainee_id", "status")
        )

    for row in valid:
        trainee = existing.get(row.id_hash)
        if trainee is None:
            plan.created.append(row)
            plan.enrol.append(row)
            continue
        if bare_name(trainee.name) != row.name:
            # Never tell which name is on file.
            plan.errors.append(RowError(row.row, HEADERS["name"], NAME_MISMATCH))
            continue
        row.trainee_id = trainee.pk
        plan.matched.append(row)
        status = statuses.get(trainee.pk)
        if status == EnrolmentStatus.ENROLLED:
            plan.already_enrolled.append(row)
        else:
            row.reactivate = status == EnrolmentStatus.WITHDRAWN
            plan.enrol.append(row)

    seats_left = cls.seats_left
    if len(plan.enrol) > seats_left:
        overflow = {r.row for r in plan.enrol[seats_left:]}
        message = CLASS_FULL % {"n": seats_left}
        plan.errors.extend(RowError(n, "", message) for n in sorted(overflow))
        plan.enrol = plan.enrol[:seats_left]
        plan.created = [r for r in plan.created if r.row not in overflow]
        plan.matched = [r for r in plan.matched if r.row not in overflow]
    plan.errors.sort(key=lambda e: e.row)
    return plan


def _check_row(
    number: int, cells: dict, *, regions, educations, groups, group_names
) -> RosterRow | list[RowError]:
    """One row, normalised, or every error found in it."""
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
        info = parse_id_number(cells.get("id_number"))
    except ValidationError as exc:
        error("id_number", error_message(exc))

    phone = ""
    try:
        phone = normalize_mobile(cells.get("phone"))
    except ValidationError as exc:
        error("phone", error_message(exc))

    region = None
    if text := optional_text(cells.get("household_region")):
        region = _find_region(regions, text)
        if region is None:
            error(
                "household_region",
                f"未找到户籍地“{text}”，请填写贵州省内的县（市、区）或市（州）名称，"
                "或6位行政区划代码；省外户籍可留空。",
            )

    education = ""
    if text := optional_text(cells.get("education")):
        education = educations.get(text, "")
        if not education:
            error(
                "education",
                f"文化程度“{text}”无法识别，可填："
                + "、".join(Education.labels)
                + "。",
            )

    key_groups: list[KeyGroup] = []
    if optional_text(cells.get("key_groups")):
        unknown = []
        # Split before normalising: spaces separate groups here.
        for raw in _GROUP_SEPARATORS.split(str(cells["key_groups"])):
            part = normalize(raw)
            if part in _EMPTY_MARKS:
                continue
            group = groups.get(part)
            if group is None:
                unknown.append(part)
            elif group not in key_groups:
                key_groups.append(group)
        if unknown:
            error(
                "key_groups",
                f"未知的重点群体“{'、'.join(unknown)}”，可填：{group_names}。",
            )

    if errors:
        return errors
    return RosterRow(
        row=number,
        name=name,
        info=info,
        id_hash=id_number_hash(info.number),
        phone=phone,
        household_region=region,
        education=education,
        key_groups=key_groups,
    )


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
    current: dict[int, tuple[int, str]] = {}
    for chunk in chunks([r.trainee_id for r in plan.matched]):
        for trainee_id, pk, status in Enrolment.objects.filter(
            training_class=cls, trainee_id__in=chunk
        ).values_list("trainee_id", "pk", "status"):
            current[trainee_id] = (pk, status)
    to_enrol: list[RosterRow] = list(plan.created)
    reactivate: list[int] = []
    already = 0
    for row in plan.matched:
        pk, status = current.get(row.trainee_id, (None, None))
        if status == EnrolmentStatus.ENROLLED:
            already += 1
        elif status == EnrolmentStatus.WITHDRAWN:
            reactivate.append(pk)
        else:
            to_enrol.append(row)
    new_active = len(to_enrol) + len(reactivate)
    if new_active > cls.seats_left:
        raise ValidationError(CLASS_FULL, code="full", params={"n": cls.seats_left})

    trainee_ids = _create_trainees(plan.created)
    for row in plan.matched:
        trainee_ids[row.id_hash] = row.trainee_id
    _add_memberships(plan, trainee_ids)

    Enrolment.objects.bulk_create(
        [
            Enrolment(
                trainee_id=trainee_ids[row.id_hash],
                training_class=cls,
                source=EnrolmentSource.ROSTER,
            )
            for row in to_enrol
        ],
        batch_size=BATCH_SIZE,
    )
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


def _create_trainees(rows: list[RosterRow]) -> dict[str, int]:
    """Insert new people in batches; return their ids by blind index."""
    trainees = [
        Trainee(
            name=row.name,
            phone=row.phone,
            household_region=row.household_region,
            residence_region=row.household_region,
            education=row.education,
            **id_number_fields(row.info),
        )
        for row in rows
    ]
    # No ignore_conflicts: someone else's duplicate must fail the whole import.
    Trainee.objects.bulk_create(trainees, batch_size=BATCH_SIZE)
    ids = {t.id_number_hash: t.pk for t in trainees if t.pk is not None}
    missing = [t.id_number_hash for t in trainees if t.pk is None]
    for chunk in chunks(missing):
        ids.update(
            Trainee.objects.filter(id_number_hash__in=chunk).values_list(
                "id_number_hash", "pk"
            )
        )
    return ids


def _add_memberships(plan: RosterPlan, trainee_ids: dict[str, int]) -> None:
    """Key groups from the roster, from today; a group a person holds stays as it is."""
    today = timezone.localdate()
    held: set[tuple[int, str]] = set()
    matched = [r.trainee_id for r in plan.matched if r.key_groups]
    for chunk in chunks(matched):
        held.update(
            KeyGroupMembership.objects.filter(trainee_id__in=chunk)
            .filter(Q(until__isnull=True) | Q(until__gte=today))
            .values_list("trainee_id", "group_id")
        )
    memberships = [
        KeyGroupMembership(
            trainee_id=trainee_ids[row.id_hash], group=group, since=today
        )
        for row in (*plan.created, *plan.matched)
        for group in row.key_groups
        if (trainee_ids[row.id_hash], group.pk) not in held
    ]
    KeyGroupMembership.objects.bulk_create(
        memberships, batch_size=BATCH_SIZE, ignore_conflicts=True
    )


# --- both ----------------------------------------------------------------------------------


def roster_import(
    *,
    training_class: TrainingClass,
    rows: Iterable[tuple[int, dict[str, str]]],
    actor=None,
    request=None,
    dry_run: bool = False,
) -> dict:
    """Plan a roster and, unless it is a dry run or has errors, apply it; the summary."""
    plan = roster_plan(training_class=training_class, rows=rows)
    if dry_run or plan.errors:
        return plan.summary()
    return roster_import_apply(plan=plan, actor=actor, request=request)


# --- xlsx in and out -------------------------------------------------------------------


def read_table(fileobj, columns, *, limits: xlsx.Limits = xlsx.DEFAULT_LIMITS):
    """Rows of an xlsx file as ``(row number, {column key: text})`` for ``columns``.

    The file is checked (container, size, rows, columns) and the header found before the
    first row is yielded; a refused file raises ``XlsxRefused`` with a Chinese message.
    The template's sample row, if the user left it in, is skipped.
    """
    _header_row, found, data = xlsx.find_header(
        xlsx.iter_rows(fileobj, limits),
        aliases={c.key: {c.header, *c.aliases} for c in columns},
        required={c.key for c in columns if c.required},
    )
    return _rows(data, found)


def read_roster(fileobj, *, limits: xlsx.Limits = xlsx.DEFAULT_LIMITS):
    """The roster rows of an xlsx file (see ``read_table``)."""
    return read_table(fileobj, COLUMNS, limits=limits)


def _rows(data, columns: dict[str, int]):
    for number, values in data:
        row = {
            key: xlsx.cell_text(values[index]) if index < len(values) else ""
            for key, index in columns.items()
        }
        if _is_sample(row):  # the template's example, left in by the user
            continue
        yield number, row


def _is_sample(row: dict) -> bool:
    return (
        normalize(row.get("id_number")) == SAMPLE_ROW["id_number"]
        and bare_name(row.get("name")) == SAMPLE_ROW["name"]
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
