"""Wagtail's built-in reports and listings show no one anything outside their scope.

The site history listed every edit-log entry of every model a role may view (trainee
names and ids of other institutions and regions); it is for administrators only, and
its exports, like every report's, neutralise formulas.
"""

import csv
import io

import openpyxl
import pytest
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.urls import resolve, reverse
from django.utils import timezone
from wagtail.log_actions import log
from wagtail.models import ModelLogEntry

from tests.factories import InstitutionFactory, TraineeFactory, UserFactory, staff_user
from trainees.models import Trainee
from training_platform import admin_reports
from training_platform.roles import Role, group_name

pytestmark = pytest.mark.django_db

TRAINEE_NAME = "欧阳测试"
PAGE_REPORTS = [
    "locked_pages",
    "workflow",
    "workflow_tasks",
    "aging_pages",
    "page_types_usage",
]
ALL_REPORTS = [*PAGE_REPORTS, "site_history"]


def editor():
    user = UserFactory()
    user.groups.add(Group.objects.get(name=group_name(Role.EDITOR)))
    return user


ROLES = {
    "bureau_elsewhere": lambda: staff_user(Role.BUREAU, region_code="520200"),
    "bureau_here": lambda: staff_user(Role.BUREAU, region_code="520100"),
    "institution": lambda: staff_user(
        Role.INSTITUTION, institution=InstitutionFactory()
    ),
    "auditor": lambda: staff_user(Role.AUDITOR, region_code="520200"),
    "editor": editor,
}


@pytest.fixture
def logged_trainee():
    """A Guiyang trainee whose record a Guiyang bureau user created (one log entry)."""
    trainee = TraineeFactory(name=TRAINEE_NAME)
    author = staff_user(Role.BUREAU, region_code="520100", username="gy_author")
    log(instance=trainee, action="wagtail.create", user=author)
    assert ModelLogEntry.objects.filter(label__contains=TRAINEE_NAME).exists()
    return trainee


def report_url(name, **query):
    url = reverse(f"wagtailadmin_reports:{name}")
    if query:
        url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    return url


def assert_refused(response):
    """Wagtail's admin answers a refusal with a redirect to the dashboard (or a 403)."""
    assert response.status_code in (302, 403), response.status_code
    if response.status_code == 302:
        assert response["Location"] in ("/admin/", reverse("wagtailadmin_home"))


def body_of(response):
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("utf-8", "replace")
    return response.content.decode("utf-8", "replace")


@pytest.mark.parametrize("role", sorted(ROLES))
@pytest.mark.parametrize(
    "url",
    [
        report_url("site_history"),
        report_url("site_history_results"),
        report_url("site_history", export="csv"),
        report_url("site_history", export="xlsx"),
    ],
)
def test_site_history_is_refused_to_every_staff_role(client, logged_trainee, role, url):
    client.force_login(ROLES[role]())
    response = client.get(url)
    assert_refused(response)
    body = body_of(response)
    assert TRAINEE_NAME not in body and "gy_author" not in body


@pytest.mark.parametrize("role", sorted(ROLES))
def test_site_history_is_not_in_the_reports_menu_of_staff(client, role):
    client.force_login(ROLES[role]())
    assert (
        admin_reports.SITE_HISTORY_MENU_NAME
        not in client.get("/admin/").content.decode()
    )


def test_administrators_keep_the_site_history(client, logged_trainee):
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    assert (
        admin_reports.SITE_HISTORY_MENU_NAME in client.get("/admin/").content.decode()
    )
    response = client.get(report_url("site_history"))
    assert response.status_code == 200
    assert TRAINEE_NAME in response.content.decode()


@pytest.mark.parametrize("role", ["bureau_elsewhere", "institution", "auditor"])
@pytest.mark.parametrize("name", PAGE_REPORTS)
def test_page_reports_are_refused_to_roles_without_page_permissions(client, role, name):
    client.force_login(ROLES[role]())
    assert_refused(client.get(report_url(name)))
    assert_refused(client.get(report_url(name, export="csv")))


@pytest.mark.parametrize("name", PAGE_REPORTS)
def test_editors_keep_the_page_reports(client, name):
    client.force_login(editor())
    assert client.get(report_url(name)).status_code == 200


@pytest.mark.parametrize("name", ALL_REPORTS)
def test_every_report_address_is_served_by_the_scoped_view(name):
    """If Wagtail moved a report, ours would no longer stand in front of it."""
    for url_name in (name, f"{name}_results"):
        view_class = resolve(report_url(url_name)).func.view_class
        assert view_class.__module__ == admin_reports.__name__


FORMULAS = ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)"]


@pytest.fixture
def formula_entries():
    content_type = ContentType.objects.get_for_model(Trainee)
    user = UserFactory(username="=cmd", first_name="@admin", last_name="")
    for label in FORMULAS:
        ModelLogEntry.objects.create(
            content_type=content_type,
            object_id="1",
            label=label,
            action="wagtail.edit",
            timestamp=timezone.now(),
            user=user,
        )


def test_site_history_csv_export_neutralises_formulas(client, formula_entries):
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    response = client.get(report_url("site_history", export="csv"))
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(body_of(response).lstrip("\ufeff"))))
    cells = [cell for row in rows for cell in row]
    for formula in FORMULAS:
        assert "'" + formula in cells
    assert not [c for c in cells if c.startswith(("=", "+", "-", "@"))]


def test_site_history_xlsx_export_neutralises_formulas(client, formula_entries):
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    response = client.get(report_url("site_history", export="xlsx"))
    assert response.status_code == 200
    content = (
        b"".join(response.streaming_content) if response.streaming else response.content
    )
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    cells = [
        c
        for row in sheet.iter_rows(values_only=True)
        for c in row
        if isinstance(c, str)
    ]
    for formula in FORMULAS:
        assert "'" + formula in cells
    assert not [c for c in cells if c.startswith(("=", "+", "-", "@"))]


# --- Wagtail's other built-in listings ------------------------------------------------


@pytest.mark.parametrize("role", sorted(ROLES))
@pytest.mark.parametrize(
    "url",
    [
        "/admin/users/",
        "/admin/groups/",
        "/admin/sites/",
        "/admin/workflows/list/",
        "/admin/workflows/tasks/index/",
        "/admin/redirects/",
        "/admin/locales/",
    ],
)
def test_user_and_site_listings_are_not_for_staff_roles(client, role, url):
    client.force_login(ROLES[role]())
    response = client.get(url)
    assert response.status_code in (302, 403, 404), (url, response.status_code)


def test_an_objects_history_is_shown_only_in_scope(client, logged_trainee):
    url = reverse("trainees:history", args=[logged_trainee.pk])
    client.force_login(ROLES["bureau_elsewhere"]())
    assert client.get(url).status_code == 404
    client.force_login(ROLES["institution"]())
    assert client.get(url).status_code == 404
    client.force_login(ROLES["bureau_here"]())
    response = client.get(url)
    assert response.status_code == 200
