"""Reads of courses, classes and enrolments, with their relations already fetched."""

from django.db.models import QuerySet

from courses.models import ClassStatus, Enrolment, TrainingClass


def class_list_open() -> QuerySet:
    """Classes open for enrolment, with what a catalogue row shows."""
    return TrainingClass.objects.filter(status=ClassStatus.OPEN).select_related(
        "course__occupation", "course__institution", "region__parent", "venue"
    )


def enrolments_of_trainee(trainee) -> QuerySet:
    """A trainee's enrolments, newest first, with class, course and institution."""
    return Enrolment.objects.filter(trainee=trainee).select_related(
        "training_class__course__institution",
        "training_class__course__occupation",
        "training_class__region",
    )
