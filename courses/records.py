"""The enrolments part of a person's lifetime record (registered in ``CoursesConfig``)."""

from django.utils.translation import gettext_lazy as _

from courses.selectors import enrolments_of_trainee
from courses.services import enrolment_can_withdraw
from trainees.records import RecordEntry, RecordSource


def _hours(value) -> str:
    """12.0 → "12", 12.5 → "12.5" (class hours as people write them)."""
    text = f"{value:f}" if value is not None else "0"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _result(enrolment) -> str:
    if not enrolment.result:
        return "—"
    text = enrolment.get_result_display()
    if enrolment.score is not None:
        text += f"（{_hours(enrolment.score)}）"
    return text


def enrolment_entries(trainee) -> list[RecordEntry]:
    """The person's enrolments with class, course and institution, in one query."""
    entries = []
    for enrolment in enrolments_of_trainee(trainee):
        cls = enrolment.training_class
        course = cls.course
        entries.append(
            RecordEntry(
                date=cls.start_date,
                title=course.title,
                detail=f"{course.institution.name} · {enrolment.get_status_display()}",
                obj=enrolment,
                extra={"can_withdraw": enrolment_can_withdraw(enrolment)},
                kind=_("培训"),
                status=enrolment.get_status_display(),
                facts=(
                    (_("培训机构"), course.institution.name),
                    (_("班级编号"), cls.code),
                    (_("职业（工种）"), course.occupation.name),
                    (
                        _("培训时间"),
                        f"{cls.start_date:%Y-%m-%d} — {cls.end_date:%Y-%m-%d}",
                    ),
                    (
                        _("出勤课时"),
                        f"{_hours(enrolment.attendance_hours)} / {course.hours}",
                    ),
                    (_("考核结果"), _result(enrolment)),
                ),
            )
        )
    return entries


ENROLMENTS = RecordSource(
    "enrolments",
    "我的培训班",
    enrolment_entries,
    template="courses/record_enrolments.html",
    order=10,
)
