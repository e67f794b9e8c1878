"""The enrolments part of a person's lifetime record (registered in ``CoursesConfig``)."""

from courses.selectors import enrolments_of_trainee
from courses.services import enrolment_can_withdraw
from trainees.records import RecordEntry, RecordSource


def enrolment_entries(trainee) -> list[RecordEntry]:
    """The person's enrolments with class, course and institution, in one query."""
    entries = []
    for enrolment in enrolments_of_trainee(trainee):
        cls = enrolment.training_class
        entries.append(
            RecordEntry(
                date=cls.start_date,
                title=cls.course.title,
                detail=f"{cls.course.institution.name} · {enrolment.get_status_display()}",
                obj=enrolment,
                extra={"can_withdraw": enrolment_can_withdraw(enrolment)},
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
