"""认定结果导入: a spreadsheet of evaluation decisions, issued in one go.

The import pipeline (``training_platform.imports``) with an evaluation organisation as
its target (``EvaluationUpload``). Each row is what the single 认定发证 form asks:
姓名, 身份证号码, 职业编码, 证书类别, 等级, 有效期至, 认定理由.

``evaluation_plan`` checks every row set-based and writes nothing, with the same rules
as the form: the person must be on file with that ID number and exactly that name, the
level must suit the certificate kind (``services.evaluation_refusal``) and the
organisation's filing. ``evaluation_import_apply`` then calls
``services.certificate_issue_by_evaluation`` for each row, the service the form calls,
inside one transaction: a row the service refuses rolls the whole file back.

All or nothing, as the roster import: a file with any error row issues nothing
(``upload_confirm`` answers "errors") until it is corrected and uploaded again.

Personal data (PIPL): summaries and the audit trail carry row numbers, counts and
messages, never a name or an ID number. The preview (``evaluation_entries``) re-reads
the stored file to list each person for the evaluator who uploaded it, with the ID
number masked.
"""

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from bases.models import TrainingInstitution
from certificates import services
from certificates.models import Certificate
from courses.roster import SAMPLE_ROW, bare_name, chunks, is_sample, optional_text
from trainees.models import Trainee, id_number_hash
from training_platform import pii, xlsx
from training_platform.audit.services import audit_record
from training_platform.errors import error_text
from training_platform.imports.kinds import (
    Column,
    ImportKind,
    RowError,
    errors_as_dicts,
)
from training_platform.reference.models import CertificateKind, Occupation, SkillLevel
from training_platform.validators import normalize, parse_id_number

COLUMNS: tuple[Column, ...] = (
    Column("name", "姓名", ("持证人姓名",), required=True),
    Column(
        "id_number",
        "身份证号码",
        ("身份证号", "公民身份号码", "证件号码", "身份证"),
        required=True,
    ),
    Column(
        "occupation",
        "职业编码",
        ("职业（工种）编码", "职业(工种)编码", "职业代码", "职业（工种）", "职业"),
        required=True,
    ),
    Column("kind", "证书类别", ("证书类型",), required=True),
    Column("level", "等级", ("技能等级", "职业技能等级")),
    Column("expires_on", "有效期至", ("有效期",)),
    Column("reason", "认定理由", ("评价结论", "认定依据"), required=True),
)
HEADERS = {c.key: c.header for c in COLUMNS}
# A refusal's field (services.Refusal) → the column it is about.
REFUSAL_COLUMNS = {
    "kind": HEADERS["kind"],
    "level": HEADERS["level"],
    "occupation": HEADERS["occupation"],
}

KIND_LABELS = {
    CertificateKind.SKILL_LEVEL.label: CertificateKind.SKILL_LEVEL,
    "技能等级证书": CertificateKind.SKILL_LEVEL,
    CertificateKind.SPECIAL_ABILITY.label: CertificateKind.SPECIAL_ABILITY,
    "专项能力证书": CertificateKind.SPECIAL_ABILITY,
}
KIND_CHOICES_TEXT = "、".join(k.label for k in services.EVALUATED_KINDS)
_CHINESE_DIGITS = {"五": "5", "四": "4", "三": "3", "二": "2", "一": "1"}


def _level_labels() -> dict[str, str]:
    """Every way a level is written (五级/初级工, 五级, 初级工, 5) → its value."""
    labels = {}
    for value in services.EVALUATED_LEVELS:
        label = SkillLevel(value).label
        labels[label] = value
        for part in label.split("/"):
            labels[part] = value
        labels[value] = value
        labels[f"{value}级"] = value
    return labels


LEVEL_LABELS = _level_labels()
LEVEL_CHOICES_TEXT = "、".join(SkillLevel(v).label for v in services.EVALUATED_LEVELS)
_OCCUPATION_CODE = re.compile(r"\d-\d{2}-\d{2}-\d{2}")

NO_SUCH_PERSON = (
    "未找到身份证号码与姓名相符的人员。请核对；未登记的人员须先实名注册或由培训机构"
    "登记后再认定。"
)
CONFLICT = "签发时数据发生了变化，本次未签发任何证书，请重新上传。"
SAMPLE_REASON = "2026 年第 1 批评价，理论和实操考核均合格"


# --- plan ------------------------------------------------------------------------------


@dataclass(slots=True)
class Decision:
    """One valid row: a decision the service will be asked to issue."""

    row: int
    name: str
    id_number: str
    occupation: str  # code
    kind: str
    level: str
    expires_on: dt.date | None
    reason: str
    trainee_id: int | None = None
    fact: str = ""
    already: bool = False


@dataclass(slots=True)
class Entry:
    """One line of the preview: who, what, and what will happen (or the errors)."""

    row: int
    name: str
    id_masked: str
    occupation: str
    certificate: str
    outcome: str
    errors: list[str] = field(default_factory=list)


@dataclass
class EvaluationPlan:
    organisation: TrainingInstitution
    rows: int = 0
    valid: list[Decision] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    entries: list[Entry] = field(default_factory=list)

    @property
    def already(self) -> int:
        return sum(1 for d in self.valid if d.already)

    def summary(self) -> dict:
        return _summary(
            rows=self.rows,
            issued=len(self.valid) - self.already,
            already=self.already,
            errors=self.errors,
        )


def _summary(*, rows, issued, already, errors) -> dict:
    return {
        "rows": rows,
        "issued": issued,
        "already_issued": already,
        "errors": errors_as_dicts(errors),
    }


def _occupation_code(text: str) -> str:
    found = _OCCUPATION_CODE.search(normalize(text))
    return found[0] if found else ""


def _check_row(number: int, cells: dict, *, today: dt.date):
    """One row parsed, or its errors: ``(Decision | None, [RowError])``."""
    errors: list[RowError] = []

    def error(key: str, message: str) -> None:
        errors.append(RowError(number, HEADERS[key], message))

    name = bare_name(cells.get("name"))
    if not name:
        error("name", "请填写姓名。")
    id_number = ""
    try:
        id_number = parse_id_number(cells.get("id_number")).number
    except ValidationError as exc:
        error("id_number", error_text(exc))
    occupation = ""
    if not (text := optional_text(cells.get("occupation"))):
        error("occupation", "请填写职业编码，如 6-31-01-03。")
    elif not (occupation := _occupation_code(text)):
        error("occupation", f"职业编码“{text}”格式不正确，应如 6-31-01-03。")
    kind = ""
    if not (text := optional_text(cells.get("kind"))):
        error("kind", f"请填写证书类别：{KIND_CHOICES_TEXT}。")
    elif (kind := KIND_LABELS.get(text, "")) == "":
        error("kind", f"证书类别“{text}”无法识别，可填：{KIND_CHOICES_TEXT}。")
    level = ""
    if text := optional_text(cells.get("level")):
        level = LEVEL_LABELS.get(text) or LEVEL_LABELS.get(
            "".join(_CHINESE_DIGITS.get(ch, ch) for ch in text), ""
        )
        if not level:
            error("level", f"等级“{text}”无法识别，可填：{LEVEL_CHOICES_TEXT}。")
    expires_on = None
    if text := optional_text(cells.get("expires_on")):
        try:
            expires_on = xlsx.parse_date(text)
        except ValidationError as exc:
            error("expires_on", error_text(exc))
        else:
            if expires_on < today:  # certificates are issued today
                error("expires_on", "有效期不能早于发证日期（今天）。")
    reason = (cells.get("reason") or "").strip()
    if not reason:
        error("reason", "请填写认定理由。")
    elif len(reason) > 1000:
        error("reason", "认定理由最多 1000 字。")
    if errors:
        return None, errors
    return (
        Decision(
            row=number,
            name=name,
            id_number=id_number,
            occupation=occupation,
            kind=kind,
            level=level,
            expires_on=expires_on,
            reason=reason,
        ),
        [],
    )


def _certificate_text(kind: str, level: str) -> str:
    if not kind:
        return ""
    label = CertificateKind(kind).label
    return f"{label}（{SkillLevel(level).label}）" if level else label


def _trainees(numbers: list[str]) -> dict[str, tuple[int, str]]:
    """ID number → (trainee id, name on file), by the blind index (batched)."""
    hashes = {id_number_hash(n): n for n in numbers}
    found = {}
    for chunk in chunks(list(hashes)):
        for pk, digest, name in Trainee.objects.filter(
            id_number_hash__in=chunk
        ).values_list("pk", "id_number_hash", "name"):
            found[hashes[digest]] = (pk, name)
    return found


def _covered(facts: list[str]) -> set[str]:
    """The facts that already have a certificate (batched)."""
    covered: set[str] = set()
    for chunk in chunks(facts):
        covered.update(
            Certificate.objects.filter(
                fact_key__in=chunk, replaces__isnull=True
            ).values_list("fact_key", flat=True)
        )
    return covered


def _organisation(organisation: TrainingInstitution, *, lock: bool = False):
    query = TrainingInstitution.objects.all()
    if lock:
        query = query.select_for_update()
    return query.get(pk=organisation.pk)


def evaluation_plan(
    *, organisation: TrainingInstitution, rows: Iterable[tuple[int, dict]]
) -> EvaluationPlan:
    """Check every row and plan the certificates an import would issue (no writes)."""
    org = _organisation(organisation)
    plan = EvaluationPlan(organisation=org)
    rows = [
        (n, cells) for n, cells in rows if any(bare_name(v) for v in cells.values())
    ]
    plan.rows = len(rows)
    today = timezone.localdate()
    try:
        services.require_qualified(org)
    except ValidationError as exc:
        plan.errors.append(RowError(0, "", error_text(exc)))

    by_row: dict[int, Entry] = {}
    parsed: list[Decision] = []
    for number, cells in rows:
        decision, errors = _check_row(number, cells, today=today)
        code = _occupation_code(cells.get("occupation") or "")
        by_row[number] = Entry(
            row=number,
            name=bare_name(cells.get("name")),
            id_masked=pii.mask_id_number(normalize(cells.get("id_number"))),
            occupation=code or optional_text(cells.get("occupation")),
            certificate=_certificate_text(
                decision.kind if decision else "", decision.level if decision else ""
            ),
            outcome="",
            errors=[e.message for e in errors],
        )
        plan.errors.extend(errors)
        if decision is not None:
            parsed.append(decision)

    occupations = dict(
        Occupation.objects.filter(code__in={d.occupation for d in parsed}).values_list(
            "code", "name"
        )
    )
    filings = services.evaluation_filings([org.pk])
    trainees = _trainees([d.id_number for d in parsed])
    first_row_of: dict[tuple, int] = {}
    for decision in parsed:
        entry = by_row[decision.row]

        def refuse(column: str, message: str, entry=entry, decision=decision) -> None:
            plan.errors.append(RowError(decision.row, column, message))
            entry.errors.append(message)

        if decision.occupation not in occupations:
            refuse(
                HEADERS["occupation"],
                f"职业编码“{decision.occupation}”不在国家职业分类大典中，请核对。",
            )
            continue
        entry.occupation = f"{decision.occupation} {occupations[decision.occupation]}"
        refusal = services.evaluation_refusal(
            kind=decision.kind,
            level=decision.level,
            max_level=filings.get((org.pk, decision.occupation)),
        )
        if refusal is not None:
            refuse(REFUSAL_COLUMNS[refusal.field], refusal.message)
            continue
        found = trainees.get(decision.id_number)
        if found is None or bare_name(found[1]) != decision.name:
            # One answer for "no such person" and "wrong name", as on the form.
            refuse(HEADERS["id_number"], NO_SUCH_PERSON)
            continue
        key = (decision.id_number, decision.occupation, decision.kind, decision.level)
        first = first_row_of.setdefault(key, decision.row)
        if first != decision.row:
            refuse("", f"与第 {first} 行的认定重复，同一认定只能出现一次。")
            continue
        decision.trainee_id = found[0]
        decision.fact = services.evaluation_fact(
            org.pk, found[0], decision.occupation, decision.level, decision.kind
        )
        plan.valid.append(decision)

    covered = _covered([d.fact for d in plan.valid])
    for decision in plan.valid:
        decision.already = decision.fact in covered
        by_row[decision.row].outcome = (
            "已持有该证书，不重复签发" if decision.already else "将签发"
        )
    plan.entries = [by_row[n] for n, _cells in rows]
    plan.errors.sort(key=lambda e: e.row)
    return plan


# --- apply -----------------------------------------------------------------------------


class _Refused(Exception):
    """Rolls the whole file back when the service refused a row."""


def _require_evaluator(actor, organisation: TrainingInstitution) -> None:
    if organisation.pk in services.evaluator_organisations(actor):
        return
    if getattr(actor, "is_superuser", False):
        return
    raise PermissionDenied("只有本评价机构的工作人员可以导入认定结果。")


def evaluation_import_apply(*, plan: EvaluationPlan, actor, request=None) -> dict:
    """Issue every decision of a valid plan through the form's service, all or none."""
    _require_evaluator(actor, plan.organisation)
    if plan.errors:
        raise ValidationError(
            "文件有 %(n)d 处错误，请改正后重新上传；本次未签发任何证书。",
            code="evaluations_invalid",
            params={"n": len(plan.errors)},
        )
    errors: list[RowError] = []
    try:
        with transaction.atomic():
            organisation = _organisation(plan.organisation, lock=True)
            summary = _apply(plan, organisation, errors, actor=actor, request=request)
            if errors:
                raise _Refused
    except _Refused:
        return _summary(rows=plan.rows, issued=0, already=0, errors=errors)
    return summary


def _apply(plan, organisation, errors, *, actor, request) -> dict:
    covered = _covered([d.fact for d in plan.valid])
    occupations = Occupation.objects.in_bulk({d.occupation for d in plan.valid})
    trainees = Trainee.objects.in_bulk([d.trainee_id for d in plan.valid])
    issued = already = 0
    for decision in plan.valid:
        trainee = trainees.get(decision.trainee_id)
        if trainee is None:
            errors.append(RowError(decision.row, "", CONFLICT))
            continue
        try:
            services.certificate_issue_by_evaluation(
                actor=actor,
                trainee=trainee,
                occupation=occupations[decision.occupation],
                level=decision.level,
                reason=decision.reason,
                kind=decision.kind,
                organisation=organisation,
                expires_on=decision.expires_on,
                request=request,
            )
        except (ValidationError, PermissionDenied) as exc:
            errors.append(RowError(decision.row, "", error_text(exc)))
            continue
        if decision.fact in covered:
            already += 1
        else:
            issued += 1
    summary = _summary(rows=plan.rows, issued=issued, already=already, errors=[])
    if not errors:
        audit_record(
            actor=actor,
            action="certificate.evaluation_import",
            obj=organisation,
            after={k: v for k, v in summary.items() if k != "errors"},
            request=request,
        )
    return summary


class EvaluationImport(ImportKind):
    """认定结果: certificates from an evaluation organisation's decisions, by person."""

    key = "evaluations"
    noun = "认定结果"
    columns = COLUMNS
    counts = ("issued", "already_issued")
    text_keys = frozenset({"id_number", "occupation"})
    empty_message = "文件中没有认定数据，请在表头下方逐行填写后再上传。"

    def skip_row(self, cells: dict) -> bool:
        # The template's sample row (张三 with the standard's example ID number).
        return is_sample(cells)

    def authorize(self, *, actor, target) -> None:
        # Dry runs included: a plan tells who is on file.
        _require_evaluator(actor, target)

    def plan(self, *, target, rows) -> EvaluationPlan:
        return evaluation_plan(organisation=target, rows=rows)

    def apply(self, *, plan, actor=None, request=None) -> dict:
        return evaluation_import_apply(plan=plan, actor=actor, request=request)


EVALUATION_IMPORT = EvaluationImport()


def evaluation_template(organisation: TrainingInstitution | None = None) -> bytes:
    """The template: Chinese headers, a sample row (skipped), lists, ID as text."""
    index = {c.key: i for i, c in enumerate(COLUMNS)}
    sample_occupation = "6-31-01-03"
    if organisation is not None:
        filed = sorted(
            code for _org, code in services.evaluation_filings([organisation.pk])
        )
        if filed:
            sample_occupation = filed[0]
    sample = {
        "name": SAMPLE_ROW["name"],
        "id_number": SAMPLE_ROW["id_number"],
        "occupation": sample_occupation,
        "kind": CertificateKind.SKILL_LEVEL.label,
        "level": SkillLevel.LEVEL_5.label,
        "expires_on": "",
        "reason": SAMPLE_REASON,
    }
    return xlsx.write_xlsx(
        [c.template_header for c in COLUMNS],
        [],
        sheet_title="认定结果",
        text_columns={index["id_number"], index["occupation"]},
        validations={
            index["kind"]: [k.label for k in services.EVALUATED_KINDS],
            index["level"]: [SkillLevel(v).label for v in services.EVALUATED_LEVELS],
        },
        sample_row=[sample[c.key] for c in COLUMNS],
    )
