"""Each role lands on its work: /admin/ is a home per role, not Wagtail's dashboard."""

import datetime as dt
import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags

from bases.models import InstitutionChangeRequest
from certificates.models import (
    CertificateStatus,
    IssueBasis,
    VerificationChannel,
    VerificationLog,
    VerificationOutcome,
)
from courses import home as courses_home
from courses.models import ClassStatus, ImportUpload, UploadKind
from tests.factories import (
    CertificateFactory,
    CourseFactory,
    InstitutionFactory,
    TrainingClassFactory,
    UserFactory,
    evaluation_org,
    passed_enrolment,
    region,
    staff_user,
)
from training_platform.extensions import home_panels
from training_platform.home import HomePanel, HomeSection, count_text, panels_for
from training_platform.imports.models import ImportStatus
from training_platform.reference.models import CertificateKind
from training_platform.roles import Role, group_name

pytestmark = pytest.mark.django_db

GUIYANG_COUNTY = "520102"  # 南明区
ZUNYI_COUNTY = "520302"  # 红花岗区


def home(client) -> str:
    response = client.get("/admin/")
    assert response.status_code == 200
    return response.content.decode()


def main_text(body: str) -> str:
    start = body.find("<main")
    main = body[start:] if start != -1 else body
    return re.sub(r"\s+", " ", strip_tags(main))


def panel_html(body: str, key: str) -> str:
    """The HTML of one home panel (by its key)."""
    start = body.find(f'id="home-{key}-section"')
    assert start != -1, f"panel {key} not on the page"
    end = body.find("</section>", start)
    return body[start:end]


def editor_user():
    from django.contrib.auth.models import Group

    user = UserFactory()
    user.groups.add(Group.objects.get(name=group_name(Role.EDITOR)))
    return user


@pytest.fixture
def inst_a():
    return InstitutionFactory(region=region(GUIYANG_COUNTY))


@pytest.fixture
def inst_b():
    return InstitutionFactory(region=region(ZUNYI_COUNTY))


# --- the home itself ----------------------------------------------------------------


def test_home_is_not_wagtails_dashboard(client, inst_a):
    client.force_login(staff_user(Role.INSTITUTION, institution=inst_a))
    body = home(client)
    text = main_text(body)
    assert "工作台" in text
    for wagtail_thing in (
        "Search all pages",
        "搜索所有页面",
        "Wagtail",
        "editor guide",
        "编辑指南",
        "w-summary",  # the site summary (N Pages / N Images)
    ):
        assert wagtail_thing not in text and wagtail_thing not in body.split("<main")[1]
    assert re.search(r"<title>\s*工作台 - 黔技通\s*</title>", body)


def test_a_user_with_nothing_waiting_is_told_so(client, inst_a):
    client.force_login(staff_user(Role.INSTITUTION, institution=inst_a))
    text = main_text(home(client))
    assert "0 个培训班" in text
    assert "本机构还没有进行中的培训班" in text
    assert "没有等待确认的导入" in text
    assert "没有等待发证的培训班" in text


def test_count_words():
    assert count_text(46) == "共 46 条"
    assert count_text(5, "个培训班") == "5 个培训班"
    panel = HomePanel(
        key="x",
        heading="x",
        sections=[HomeSection("a", 2, measure="个培训班")],
        empty="",
        measure="个培训班",
        overdue=1,
    )
    assert panel.count_text == "2 个培训班"
    assert panel.overdue_text == "其中 1 个培训班已超期"


def test_panels_come_from_the_extension_point(rf):
    def extra(request):
        return [
            HomePanel(key="extra", heading="补贴申领待审核", sections=[], empty="无")
        ]

    request = rf.get("/admin/")
    request.user = UserFactory()
    assert not panels_for(request)
    with home_panels.register_temporarily(extra):
        assert [p.key for p in panels_for(request)] == ["extra"]


# --- institution staff --------------------------------------------------------------


def test_institution_home_lists_its_classes_by_state_with_the_next_step(
    client, inst_a, inst_b
):
    course = CourseFactory(institution=inst_a)
    classes = {
        status: TrainingClassFactory(course=course, status=status, code=f"A-{status}")
        for status in (
            ClassStatus.DRAFT,
            ClassStatus.FILED,
            ClassStatus.APPROVED,
            ClassStatus.OPEN,
            ClassStatus.RUNNING,
            ClassStatus.FINISHED,
            ClassStatus.CANCELLED,
        )
    }
    TrainingClassFactory(
        course=CourseFactory(institution=inst_b), status=ClassStatus.DRAFT, code="B-1"
    )
    client.force_login(staff_user(Role.INSTITUTION, institution=inst_a))
    body = home(client)
    panel = panel_html(body, "institution-classes")
    text = main_text(panel)
    assert "6 个培训班" in text  # the cancelled one waits for nothing
    for status, step in (
        ("草稿", "提交备案"),
        ("已备案待审批", "等待人社部门审批"),
        ("已批准", "开放报名"),
        ("培训中", "录入考核结果"),
        ("已结业", "为合格学员发证"),
    ):
        assert re.search(rf"{status}\s*1 个培训班\s*下一步：{step}", text), status
    assert "A-cancelled" not in text
    assert "B-1" not in body
    draft = classes[ClassStatus.DRAFT]
    assert f'href="{reverse("trainingclass:inspect", args=[draft.pk])}"' in panel
    running = classes[ClassStatus.RUNNING]
    assert f'href="{reverse("courses_class_results", args=[running.pk])}"' in panel


def test_institution_home_lists_imports_waiting_for_confirmation(
    client, inst_a, inst_b
):
    mine = TrainingClassFactory(course=CourseFactory(institution=inst_a), code="A-1")
    other = TrainingClassFactory(course=CourseFactory(institution=inst_b), code="B-1")
    waiting = ImportUpload.objects.create(
        training_class=mine,
        kind=UploadKind.ROSTER,
        original_name="花名册.xlsx",
        row_count=12,
    )
    ImportUpload.objects.create(
        training_class=mine, kind=UploadKind.RESULTS, status=ImportStatus.DONE
    )
    ImportUpload.objects.create(training_class=other, kind=UploadKind.ROSTER)
    client.force_login(staff_user(Role.INSTITUTION, institution=inst_a))
    panel = panel_html(home(client), "institution-imports")
    assert "共 1 条" in main_text(panel)
    assert "花名册.xlsx" in panel and "12 行" in panel
    assert reverse("courses_roster_preview", args=[mine.pk, waiting.pk]) in panel
    assert "B-1" not in panel


def test_institution_home_lists_classes_ready_for_certificates(client, inst_a, inst_b):
    course = CourseFactory(institution=inst_a)
    ready = TrainingClassFactory(
        course=course, status=ClassStatus.FINISHED, code="A-READY"
    )
    passed_enrolment(training_class=ready)
    passed_enrolment(training_class=ready)
    done = TrainingClassFactory(
        course=course, status=ClassStatus.FINISHED, code="A-DONE"
    )
    holder = passed_enrolment(training_class=done)
    CertificateFactory(
        enrolment=holder, trainee=holder.trainee, issuer=inst_a, fact_key="x:1"
    )
    other = TrainingClassFactory(
        course=CourseFactory(institution=inst_b),
        status=ClassStatus.FINISHED,
        code="B-R",
    )
    passed_enrolment(training_class=other)
    client.force_login(staff_user(Role.INSTITUTION, institution=inst_a))
    panel = panel_html(home(client), "institution-certificates")
    assert "1 个培训班" in main_text(panel)
    assert "A-READY" in panel and "考核合格未发证 2 人" in panel
    assert reverse("certificates_class_issue", args=[ready.pk]) in panel
    assert "A-DONE" not in panel and "B-R" not in panel


# --- bureau staff -------------------------------------------------------------------


def test_bureau_home_lists_classes_waiting_in_its_region_overdue_first(
    client, inst_a, inst_b
):
    today = timezone.localdate()
    course = CourseFactory(institution=inst_a)
    recent = TrainingClassFactory(
        course=course,
        status=ClassStatus.FILED,
        code="GY-NEW",
        start_date=today + dt.timedelta(days=40),
        filed_at=timezone.now(),
    )
    late = TrainingClassFactory(
        course=course,
        status=ClassStatus.FILED,
        code="GY-LATE",
        start_date=today + dt.timedelta(days=40),
        filed_at=timezone.now() - dt.timedelta(days=14),
    )
    TrainingClassFactory(
        course=CourseFactory(institution=inst_b),
        status=ClassStatus.FILED,
        code="ZY-1",
        filed_at=timezone.now(),
    )
    TrainingClassFactory(course=course, status=ClassStatus.DRAFT, code="GY-DRAFT")
    client.force_login(staff_user(Role.BUREAU, region_code="520100"))
    body = home(client)
    panel = panel_html(body, "bureau-classes")
    text = main_text(panel)
    assert "2 个培训班，其中 1 个培训班已超期" in text
    assert text.index("GY-LATE") < text.index("GY-NEW")
    assert re.search(r"已超期\s*GY-LATE", text)
    assert "ZY-1" not in body and "GY-DRAFT" not in body
    assert reverse("trainingclass:inspect", args=[late.pk]) in panel
    assert reverse("trainingclass:inspect", args=[recent.pk]) in panel


def test_a_class_starting_soon_is_overdue():
    today = timezone.localdate()
    assert courses_home.working_days_before(dt.date(2026, 12, 7), 5) == dt.date(
        2026, 11, 30
    )  # a Monday: the week before
    assert today - courses_home.working_days_before(today, 5) >= dt.timedelta(days=5)


def test_province_bureau_sees_every_prefecture(client, inst_a, inst_b):
    for inst, code in ((inst_a, "GY-1"), (inst_b, "ZY-1")):
        TrainingClassFactory(
            course=CourseFactory(institution=inst),
            status=ClassStatus.FILED,
            code=code,
            filed_at=timezone.now(),
        )
    client.force_login(staff_user(Role.BUREAU, region_code="520000"))
    text = main_text(panel_html(home(client), "bureau-classes"))
    assert "GY-1" in text and "ZY-1" in text and "2 个培训班" in text


def test_bureau_home_lists_change_requests_of_its_region(client, inst_a, inst_b):
    for inst in (inst_a, inst_b):
        InstitutionChangeRequest.objects.create(
            institution=inst,
            name=f"{inst.name}（更名）",
            credit_code=inst.credit_code,
            kind=inst.kind,
            region=inst.region,
        )
    client.force_login(staff_user(Role.BUREAU, region_code="520100"))
    panel = panel_html(home(client), "bureau-change-requests")
    assert "共 1 条" in main_text(panel)
    assert inst_a.name in panel and inst_b.name not in panel


def test_bureau_home_says_when_nothing_waits(client):
    client.force_login(staff_user(Role.BUREAU, region_code="520100"))
    text = main_text(home(client))
    assert "没有等待您审批的培训班" in text
    assert "没有等待您审核的机构变更申请" in text


# --- evaluators ---------------------------------------------------------------------


def test_evaluator_home_lists_decisions_to_make(client, inst_b):
    org = evaluation_org(region=region(GUIYANG_COUNTY))
    course = CourseFactory(institution=org)
    waiting = TrainingClassFactory(
        course=course, status=ClassStatus.FINISHED, code="EV-1"
    )
    passed_enrolment(training_class=waiting)
    decided = TrainingClassFactory(
        course=course, status=ClassStatus.FINISHED, code="EV-2"
    )
    holder = passed_enrolment(training_class=decided)
    CertificateFactory(
        enrolment=holder,
        trainee=holder.trainee,
        issuer=org,
        kind=CertificateKind.SKILL_LEVEL,
        basis=IssueBasis.EVALUATION,
        fact_key="e:1",
    )
    other = TrainingClassFactory(
        course=CourseFactory(institution=inst_b), status=ClassStatus.FINISHED, code="OT"
    )
    passed_enrolment(training_class=other)
    client.force_login(staff_user(Role.EVALUATOR, institution=org))
    body = home(client)
    panel = panel_html(body, "evaluator-classes")
    assert "EV-1" in panel and "EV-2" not in panel and "OT" not in main_text(body)
    assert reverse("certificates_class_issue", args=[waiting.pk]) in panel
    assert reverse("certificates_evaluate") in panel
    recent = panel_html(body, "evaluator-issued")
    assert "1 张证书" in main_text(recent)


# --- auditors -----------------------------------------------------------------------


def test_auditor_home_shows_verifications_and_spot_checks_of_its_region(
    client, inst_a, inst_b
):
    mine = CertificateFactory(
        issuer=inst_a,
        status=CertificateStatus.REVOKED,
        revoked_at=timezone.now(),
        number="PX-MINE-1",
    )
    theirs = CertificateFactory(
        issuer=inst_b,
        status=CertificateStatus.REVOKED,
        revoked_at=timezone.now(),
        number="PX-THEIRS-1",
    )
    for cert in (mine, theirs):
        VerificationLog.objects.create(
            channel=VerificationChannel.PAGE,
            asked="t",
            certificate=cert,
            outcome=VerificationOutcome.REVOKED,
        )
    client.force_login(staff_user(Role.AUDITOR, region_code="520100"))
    body = home(client)
    verifications = panel_html(body, "auditor-verifications")
    assert "共 1 条" in main_text(verifications)
    assert reverse("certificate:inspect", args=[mine.pk]) in verifications
    spot = panel_html(body, "auditor-spot-checks")
    assert "PX-MINE-1" in spot
    assert "PX-THEIRS-1" not in body


# --- editors ------------------------------------------------------------------------


def test_editor_home_shows_pages_in_moderation_and_recent_edits(client):
    from wagtail.models import Page

    editor = editor_user()
    page = Page.objects.get(depth=2).specific
    page.save_revision(user=editor)
    client.force_login(editor)
    body = home(client)
    assert "没有审核中的页面" in main_text(panel_html(body, "editor-moderation"))
    recent = panel_html(body, "editor-recent")
    assert page.title in recent
    assert reverse("wagtailadmin_pages:edit", args=[page.pk]) in recent


def test_other_roles_get_no_editor_panels(client, inst_a):
    client.force_login(staff_user(Role.INSTITUTION, institution=inst_a))
    body = home(client)
    assert "home-editor-" not in body and "最近编辑的页面" not in body


# --- queries do not grow with the data ----------------------------------------------


def home_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        home(client)
    return len(queries)


STATES = (
    ClassStatus.DRAFT,
    ClassStatus.FILED,
    ClassStatus.REJECTED,
    ClassStatus.APPROVED,
    ClassStatus.OPEN,
    ClassStatus.RUNNING,
    ClassStatus.FINISHED,
)


def test_institution_home_queries_do_not_grow_with_classes(client, inst_a):
    course = CourseFactory(institution=inst_a)

    def add(n):
        for i in range(n):
            cls = TrainingClassFactory(course=course, status=STATES[i % len(STATES)])
            ImportUpload.objects.create(training_class=cls, kind=UploadKind.ROSTER)
            if cls.status == ClassStatus.FINISHED:
                passed_enrolment(training_class=cls)

    add(len(STATES))
    client.force_login(staff_user(Role.INSTITUTION, institution=inst_a))
    home(client)  # warm caches (content types, site)
    few = home_queries(client)
    add(20)
    assert home_queries(client) == few


def test_bureau_home_queries_do_not_grow_with_classes(client, inst_a):
    course = CourseFactory(institution=inst_a)

    def add(n):
        for _ in range(n):
            TrainingClassFactory(
                course=course, status=ClassStatus.FILED, filed_at=timezone.now()
            )
            inst = InstitutionFactory(region=region(GUIYANG_COUNTY))
            InstitutionChangeRequest.objects.create(
                institution=inst,
                name=f"{inst.name}（更名）",
                credit_code=inst.credit_code,
                kind=inst.kind,
                region=inst.region,
            )

    add(1)
    client.force_login(staff_user(Role.BUREAU, region_code="520100"))
    home(client)
    few = home_queries(client)
    add(20)
    assert home_queries(client) == few


def test_auditor_home_queries_do_not_grow_with_the_log(client, inst_a):
    def add(n):
        for _ in range(n):
            cert = CertificateFactory(
                issuer=inst_a,
                status=CertificateStatus.REVOKED,
                revoked_at=timezone.now(),
            )
            VerificationLog.objects.create(
                channel=VerificationChannel.PAGE,
                asked="t",
                certificate=cert,
                outcome=VerificationOutcome.REVOKED,
            )

    add(1)
    client.force_login(staff_user(Role.AUDITOR, region_code="520100"))
    home(client)
    few = home_queries(client)
    add(20)
    assert home_queries(client) == few


# --- branding and the menu ----------------------------------------------------------


def test_sign_in_page_shows_the_platform_not_wagtail(client):
    body = client.get("/admin/login/").content.decode()
    assert re.search(r"<h1>\s*登录黔技通\s*</h1>", body)
    assert "img/qianjitong-logo.svg" in body
    assert "Sign in to Wagtail" not in body and "icon-wagtail" not in body
    assert re.search(r"<title>\s*登录 - 黔技通\s*</title>", body)


def test_sidebar_shows_the_platforms_mark(client, inst_a):
    client.force_login(staff_user(Role.INSTITUTION, institution=inst_a))
    body = home(client)
    logo = re.search(
        r"<template data-wagtail-sidebar-branding-logo>(.*?)</template>", body, re.S
    )
    assert logo and "qianjitong-logo.svg" in logo.group(1)
    assert "黔技通" in strip_tags(logo.group(1))


def sidebar_links(body: str) -> dict:
    props = re.search(
        r'<script id="wagtail-sidebar-props" type="application/json">(.*?)</script>',
        body,
        re.S,
    )
    data = json.dumps(json.loads(props.group(1)), ensure_ascii=False)
    modules = json.loads(props.group(1))["modules"]
    links = dict(
        re.findall(
            r'"label": "([^"]+)", "icon_name": "[^"]*", "classname": "[^"]*", '
            r'"attrs": \{[^{}]*\}, "url": "([^"]+)"',
            data,
        )
    )
    search = [m for m in modules if m["_type"] == "wagtail.sidebar.SearchModule"]
    return {"links": links, "search": search, "raw": data}


def test_no_link_a_demo_role_cannot_use(client):
    """Every sidebar entry and every link on the home answers each demo role."""
    from django.contrib.auth import get_user_model

    from demo.services import demo_seed

    demo_seed()
    for username in (
        "editor",
        "bureau_gz",
        "bureau_gy",
        "inst_a",
        "inst_b",
        "evaluator",
        "auditor",
    ):
        user = get_user_model().objects.get(username=username)
        client.force_login(user)
        body = home(client)
        menu = sidebar_links(body)
        assert menu["links"], username
        assert "帮助" not in menu["raw"] and "guide.wagtail.org" not in menu["raw"]
        if username != "editor":
            # The sidebar's search box searches pages: only for those who edit them.
            assert not menu["search"], username
        main = body[body.find("<main") :]
        home_links = set(re.findall(r'href="(/admin/[^"#]*)"', main))
        assert home_links, username
        for url in set(menu["links"].values()) | home_links:
            status = client.get(url).status_code
            assert status == 200, (username, url, status)


def test_back_office_not_found_page_leads_back_to_the_home(client, inst_a):
    client.force_login(staff_user(Role.INSTITUTION, institution=inst_a))
    response = client.get("/admin/no-such-screen/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "返回工作台" in body and "qianjitong-logo.svg" in body
    assert "Wagtail" not in main_text(body)
