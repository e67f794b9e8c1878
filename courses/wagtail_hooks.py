from django.urls import path
from wagtail import hooks

from courses.admin_views import class_results, class_transition
from courses.roster_views import RESULTS_IMPORT, ROSTER_IMPORT, import_urls
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
        *import_urls(ROSTER_IMPORT),
        *import_urls(RESULTS_IMPORT),
    ]
