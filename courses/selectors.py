"""Reads of courses, classes and enrolments, with their relations already fetched."""

from django.db.models import Q, QuerySet

from courses.models import ClassStatus, Course, Enrolment, TrainingClass


def class_list_open() -> QuerySet:
    """Classes open for enrolment, with what a catalogue row shows."""
    return TrainingClass.objects.filter(
        status=ClassStatus.OPEN, course__is_active=True
    ).select_related(
        "course__occupation", "course__institution", "region__parent", "venue"
    )


def enrolments_of_trainee(trainee) -> QuerySet:
    """A trainee's enrolments, newest first, with class, course and institution."""
    return Enrolment.objects.filter(trainee=trainee).select_related(
        "training_class__course__institution",
        "training_class__course__occupation",
        "training_class__region",
    )


def course_for_page(course_id: int) -> Course:
    """A course with what its public page shows (institution, occupation, region)."""
    return Course.objects.select_related(
        "institution__region__parent", "occupation"
    ).get(pk=course_id)


def class_list_open_of_course(course_id: int) -> QuerySet:
    """A course's classes open for enrolment, soonest first."""
    return class_list_open().filter(course_id=course_id).order_by("start_date", "code")


def class_by_ref(ref: str) -> TrainingClass | None:
    """A class by its code (any case) or its id, as people type it on a command line."""
    query = Q(code=ref.strip().upper())
    if ref.strip().isdigit():
        query |= Q(pk=int(ref))
    return TrainingClass.objects.filter(query).first()
