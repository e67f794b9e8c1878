"""The enrolments part of a person's lifetime record (registered in ``CoursesConfig``)."""

from django.utils.translation import gettext_lazy as _

from courses.models import AssessmentResult, ClassStatus, Enrolment, EnrolmentStatus
from courses.selectors import enrolments_of_trainee
from courses.services import WITHDRAWABLE_CLASS_STATUSES
from trainees.records import RecordEntry, RecordSource


def _hours(value) -> str:
    """12.0 → "12", 12.5 → "12.5" (class hours as people write them)."""
    text = f"{value:f}" if value is not None else "0"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _result(row) -> str:
    if not row["result"]:
        return "—"
    text = AssessmentResult(row["result"]).label
    if row["score"] is not None:
        text += f"（{_hours(row['score'])}）"
    return text


KIND = _("培训")
FACT_LABELS = (
    _("培训机构"),
    _("班级编号"),
    _("职业（工种）"),
    _("培训时间"),
    _("出勤课时"),
    _("考核结果"),
)
# Plain rows, not model instances: a long record must cost little per entry.
FIELDS = {
    "pk": "pk",
    "status": "status",
    "attendance_hours": "attendance_hours",
    "score": "score",
    "result": "result",
    "code": "training_class__code",
    "class_status": "training_class__status",
    "start_date": "training_class__start_date",
    "end_date": "training_class__end_date",
    "title": "training_class__course__title",
    "hours": "training_class__course__hours",
    "institution": "training_class__course__institution__name",
    "occupation": "training_class__course__occupation__name",
}


def enrolment_entries(trainee) -> list[RecordEntry]:
    """The person's enrolments with class, course and institution, in one query.

    ``obj`` is the row as a dict (FIELDS' keys) with ``status_label`` and
    ``class_status_label``, ``is_active`` and ``result_text`` added; ``extra["can_withdraw"]`` says whether the person may
    still leave the class (``courses.services.enrolment_can_withdraw``).
    """
    kind, labels = str(KIND), [str(label) for label in FACT_LABELS]  # once, not per row
    rows = enrolments_of_trainee(trainee).values_list(*FIELDS.values())
    entries = []
    for values in rows:
        row = dict(zip(FIELDS, values, strict=True))
        status = EnrolmentStatus(row["status"]).label
        row["status_label"] = status
        row["class_status_label"] = ClassStatus(row["class_status"]).label
        row["is_active"] = row["status"] == EnrolmentStatus.ENROLLED
        row["result_text"] = _result(row)
        facts = (
            row["institution"],
            row["code"],
            row["occupation"],
            f"{row['start_date']:%Y-%m-%d} — {row['end_date']:%Y-%m-%d}",
            f"{_hours(row['attendance_hours'])} / {row['hours']}",
            row["result_text"],
        )
        entries.append(
            RecordEntry(
                date=row["start_date"],
                title=row["title"],
                detail=f"{row['institution']} · {status}",
                obj=row,
                extra={
                    "can_withdraw": row["is_active"]
                    and row["class_status"] in WITHDRAWABLE_CLASS_STATUSES
                },
                kind=kind,
                status=status,
                facts=tuple(zip(labels, facts, strict=True)),
            )
        )
    return entries


ENROLMENTS = RecordSource(
    "enrolments",
    "我的培训班",
    enrolment_entries,
    template="courses/record_enrolments.html",
    order=10,
    model=Enrolment,
)
