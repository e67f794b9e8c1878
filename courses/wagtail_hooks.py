from django.urls import path
from wagtail import hooks

from courses.admin_views import class_results, class_transition
from courses.roster_views import (
    roster_confirm,
    roster_error_rows,
    roster_preview,
    roster_result,
    roster_template_download,
    roster_upload,
)
from courses.viewsets import CoursesGroup, pending_classes_menu_item


@hooks.register("register_admin_viewset")
def register_viewsets():
    return CoursesGroup()


@hooks.register("register_courses_menu_item")
def register_pending_classes():
    return pending_classes_menu_item()


@hooks.register("register_admin_urls")
def register_admin_urls():
    return [
        path(
            "courses/class/<int:pk>/results/",
            class_results,
            name="courses_class_results",
        ),
        path(
            "courses/class/<int:pk>/action/<slug:action>/",
            class_transition,
            name="courses_class_transition",
        ),
        path(
            "courses/class/<int:pk>/roster/template/",
            roster_template_download,
            name="courses_class_roster_template",
        ),
        path(
            "courses/class/<int:pk>/roster/upload/",
            roster_upload,
            name="courses_class_roster_upload",
        ),
        path(
            "courses/class/<int:pk>/roster/<int:upload_id>/",
            roster_preview,
            name="courses_roster_preview",
        ),
        path(
            "courses/class/<int:pk>/roster/<int:upload_id>/confirm/",
            roster_confirm,
            name="courses_roster_confirm",
        ),
        path(
            "courses/class/<int:pk>/roster/<int:upload_id>/result/",
            roster_result,
            name="courses_roster_result",
        ),
        path(
            "courses/class/<int:pk>/roster/<int:upload_id>/errors/",
            roster_error_rows,
            name="courses_roster_errors",
        ),
    ]
