"""统计报送 screens (issue 13): reported figures entered by a bureau person of the region,
approved or sent back by another through a confirmation, read by auditors, reached by
nobody else; self-approval refused on the screen; every step audited; the list's
queries do not grow with its rows."""

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from monitoring.models import FigureStatus, Indicator, ReportedFigure
from monitoring.services import (
    approve_reported_figure,
    enter_reported_figure,
    reject_reported_figure,
)
from tests.factories import (
    InstitutionFactory,
    ReportedFigureFactory,
    UserFactory,
    region,
    staff_user,
)
from training_platform.audit.models import AuditEvent
from training_platform.roles import Role, group_name

pytestmark = pytest.mark.django_db

LIST = reverse("monitoring_reported:list")
NEW = reverse("monitoring_reported:new")


def url(name, figure):
    return reverse(f"monitoring_reported:{name}", args=[figure.pk])


def school():
    return Indicator.objects.get(code="technical_school_enrolment")


def bureau(code="520100", **kw):
    return staff_user(Role.BUREAU, region_code=code, **kw)


def entered(actor, code="520102", year=2022, value="31250"):
    return enter_reported_figure(
        actor=actor,
        indicator=school(),
        region=region(code),
        year=year,
        value=Decimal(value),
        source="贵阳市技工院校招生统计表",
        source_date=dt.date(year, 12, 31),
    )


def editor():
    user = UserFactory()
    user.groups.add(Group.objects.get(name=group_name(Role.EDITOR)))
    return user


def events(figure_pk):
    return list(
        AuditEvent.objects.filter(
            object_type="monitoring.reportedfigure", object_id=str(figure_pk)
        )
        .order_by("pk")
        .values_list("action", "actor", "reason")
    )


def element(body, element_id):
    """The opening tag of the element with ``element_id``."""
    start = body.index(f'id="{element_id}"')
    return body[body.rindex("<", 0, start) : body.index(">", start) + 1]


# --- who reaches the screens ------------------------------------------------------------


@pytest.mark.parametrize(
    "make, reaches, enters",
    [
        (lambda: staff_user(Role.BUREAU, region_code="520100"), True, True),
        (lambda: staff_user(Role.AUDITOR, region_code="520100"), True, False),
        (
            lambda: staff_user(Role.INSTITUTION, institution=InstitutionFactory()),
            False,
            False,
        ),
        (editor, False, False),
    ],
    ids=["bureau", "auditor", "institution", "editor"],
)
def test_roles_reach_the_list_and_the_form_as_allowed(client, make, reaches, enters):
    figure = entered(bureau())
    client.force_login(make())
    assert client.get(LIST).status_code == (200 if reaches else 404)
    assert client.get(url("detail", figure)).status_code == (200 if reaches else 404)
    assert client.get(NEW).status_code == (200 if enters else 404)
    if reaches:
        body = client.get(LIST).content.decode()
        assert ("新建报送" in body) is enters
    approve = client.post(url("approve", figure), {"confirmed": "1"})
    # Only a bureau of the region (not the enterer) approves; others get 404.
    assert approve.status_code == (302 if enters else 404)
    figure.refresh_from_db()
    assert figure.status == (FigureStatus.APPROVED if enters else FigureStatus.DRAFT)


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get(LIST)
    assert response.status_code == 302 and "login" in response["Location"]


def test_another_regions_figure_answers_404_and_is_not_listed(client):
    figure = entered(bureau("520100"))
    zunyi = bureau("520300")
    own = entered(zunyi, code="520302")
    client.force_login(zunyi)
    assert client.get(url("detail", figure)).status_code == 404
    for name in ("approve", "reject"):
        response = client.post(url(name, figure), {"confirmed": "1", "reason": "不对"})
        assert response.status_code == 404
    body = client.get(LIST).content.decode()
    assert "共 1 条" in body
    assert f'data-figure="{own.pk}"' in body
    assert f'data-figure="{figure.pk}"' not in body
    figure.refresh_from_db()
    assert figure.status == FigureStatus.DRAFT


def test_the_province_bureau_and_auditor_see_every_prefectures_figures(client):
    entered(bureau("520100"))
    entered(bureau("520300"), code="520302")
    for user in (bureau("520000"), staff_user(Role.AUDITOR, region_code="520000")):
        client.force_login(user)
        assert "共 2 条" in client.get(LIST).content.decode()


# --- entering -----------------------------------------------------------------------


def form_data(**kw):
    data = {
        "indicator": school().pk,
        "region": "520102",
        "year": "2023",
        "value": "12500.5",
        "source": "  贵阳市技工院校招生统计表  ",
        "source_date": "2023-12-31",
    }
    data.update(kw)
    return data


def test_a_bureau_enters_a_figure_and_it_is_audited(client):
    clerk = bureau(first_name="芳", last_name="刘")
    client.force_login(clerk)
    response = client.post(NEW, form_data())
    figure = ReportedFigure.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("detail", figure)
    assert (figure.value, figure.source, figure.entered_by) == (
        Decimal("12500.50"),
        "贵阳市技工院校招生统计表",
        clerk,
    )
    assert figure.status == FigureStatus.DRAFT
    assert events(figure.pk) == [("monitoring.figure_entered", clerk.pk, "")]
    body = client.get(LIST).content.decode()
    assert "刘芳" in body and clerk.username not in body
    assert "统计报送 · 草稿" in body


def test_the_form_offers_only_reported_indicators_and_the_users_regions(client):
    client.force_login(bureau("520100"))
    body = client.get(NEW).content.decode()
    assert "技工院校招生" in body
    vocational = Indicator.objects.get(code="vocational_training")
    assert f'value="{vocational.pk}"' not in body  # computed: not offered
    assert 'value="520102"' in body and 'value="520302"' not in body
    response = client.post(NEW, form_data(region="520302"))
    assert response.status_code == 400
    assert "只能报送本人负责地区的数据。" in response.content.decode()
    response = client.post(NEW, form_data(indicator=vocational.pk))
    assert response.status_code == 400
    assert "请选择统计报送的指标。" in response.content.decode()
    assert not ReportedFigure.objects.exists()


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("value", "-1", "数值不能为负数。"),
        ("value", "十二", "数值应为数字"),
        ("value", "1.234", "数值最多两位小数。"),
        ("source", "   ", "请填写数据来源。"),
        ("source_date", "2023/13/45", "数据日期格式应如 2026-12-01。"),
        ("year", "2019", "年度不在规划期内。"),
    ],
)
def test_bad_input_gets_a_chinese_message_at_its_field_and_keeps_what_was_typed(
    client, field, value, message
):
    client.force_login(bureau())
    response = client.post(NEW, form_data(**{field: value}))
    assert response.status_code == 400
    body = response.content.decode()
    assert message in body
    assert "贵阳市技工院校招生统计表" in body or field == "source"
    assert not ReportedFigure.objects.exists()


def test_an_approved_figure_cannot_be_entered_again(client):
    clerk, chief = bureau(), bureau()
    figure = entered(clerk, year=2023)
    approve_reported_figure(actor=chief, figure=figure)
    client.force_login(clerk)
    response = client.post(NEW, form_data())
    assert response.status_code == 400
    assert "该数据已审核，不能修改。" in response.content.decode()
    figure.refresh_from_db()
    assert figure.value == Decimal("31250")


def test_auditor_cannot_post_a_figure(client):
    client.force_login(staff_user(Role.AUDITOR, region_code="520000"))
    assert client.post(NEW, form_data()).status_code == 404
    assert not ReportedFigure.objects.exists()


# --- approving -----------------------------------------------------------------------


def test_the_enterer_sees_approve_disabled_with_the_reason_and_is_refused(client):
    clerk = bureau()
    figure = entered(clerk)
    client.force_login(clerk)
    body = client.get(url("detail", figure)).content.decode()
    assert "disabled" in element(body, "approve-button")
    assert "不能批准自己报送的数据" in body
    response = client.post(url("approve", figure), {"confirmed": "1"}, follow=True)
    assert "不能批准自己报送的数据" in response.content.decode()
    figure.refresh_from_db()
    assert figure.status == FigureStatus.DRAFT and figure.approved_by is None
    assert [e[0] for e in events(figure.pk)] == ["monitoring.figure_entered"]


def test_a_second_bureau_person_approves_through_a_confirmation(client):
    clerk, chief = bureau(), bureau(first_name="伟", last_name="王")
    figure = entered(clerk)
    client.force_login(chief)
    body = client.get(url("detail", figure)).content.decode()
    assert "disabled" not in element(body, "approve-button")
    asked = client.post(url("approve", figure))
    assert asked.status_code == 200
    assert "确认批准" in asked.content.decode()
    figure.refresh_from_db()
    assert figure.status == FigureStatus.DRAFT  # nothing yet
    done = client.post(url("approve", figure), {"confirmed": "1"})
    assert done.status_code == 302
    figure.refresh_from_db()
    assert (figure.status, figure.approved_by) == (FigureStatus.APPROVED, chief)
    assert [e[:2] for e in events(figure.pk)] == [
        ("monitoring.figure_entered", clerk.pk),
        ("monitoring.figure_approved", chief.pk),
    ]
    body = client.get(LIST).content.decode()
    assert "王伟" in body and "统计报送 · 已审核" in body
    body = client.get(url("detail", figure)).content.decode()
    assert 'id="approve-button"' not in body  # nothing left to do


def test_an_auditor_sees_no_action_and_cannot_approve(client):
    figure = entered(bureau())
    client.force_login(staff_user(Role.AUDITOR, region_code="520100"))
    body = client.get(url("detail", figure)).content.decode()
    assert 'id="approve-button"' not in body and 'id="reject-button"' not in body
    assert client.post(url("approve", figure), {"confirmed": "1"}).status_code == 404
    figure.refresh_from_db()
    assert figure.status == FigureStatus.DRAFT


# --- sending back ----------------------------------------------------------------------


def test_a_second_bureau_person_sends_a_draft_back_with_a_reason(client):
    clerk, chief = bureau(), bureau()
    figure = entered(clerk)
    pk = figure.pk
    client.force_login(chief)
    missing = client.post(url("reject", figure), {"reason": "  "})
    assert missing.status_code == 400  # checked before the confirmation page
    assert "请填写退回原因。" in missing.content.decode()
    asked = client.post(url("reject", figure), {"reason": "人数与报表不符"})
    assert "确认退回" in asked.content.decode()
    assert ReportedFigure.objects.filter(pk=pk).exists()
    done = client.post(
        url("reject", figure), {"reason": "人数与报表不符", "confirmed": "1"}
    )
    assert done.status_code == 302 and done["Location"] == LIST
    assert not ReportedFigure.objects.filter(pk=pk).exists()
    assert events(pk)[-1] == ("monitoring.figure_rejected", chief.pk, "人数与报表不符")
    before = AuditEvent.objects.get(action="monitoring.figure_rejected").before
    assert before["value"] == "31250.00" and before["entered_by"] == clerk.pk


def test_the_enterer_cannot_send_back_their_own_figure(client):
    clerk = bureau()
    figure = entered(clerk)
    client.force_login(clerk)
    body = client.get(url("detail", figure)).content.decode()
    assert "disabled" in element(body, "reject-button")
    client.post(url("reject", figure), {"reason": "x", "confirmed": "1"})
    assert ReportedFigure.objects.filter(pk=figure.pk).exists()


def test_reject_service_refuses_approved_figures_self_and_other_regions():
    clerk, chief = bureau(), bureau()
    figure = entered(clerk)
    with pytest.raises(PermissionDenied):
        reject_reported_figure(actor=clerk, figure=figure, reason="x")
    with pytest.raises(PermissionDenied):
        reject_reported_figure(actor=bureau("520300"), figure=figure, reason="x")
    with pytest.raises(ValidationError):
        reject_reported_figure(actor=chief, figure=figure, reason=" ")
    approve_reported_figure(actor=chief, figure=figure)
    with pytest.raises(ValidationError):
        reject_reported_figure(actor=bureau(), figure=figure, reason="x")
    assert ReportedFigure.objects.filter(pk=figure.pk).exists()
    assert not AuditEvent.objects.filter(action="monitoring.figure_rejected").exists()


# --- the list ----------------------------------------------------------------------------


def test_the_list_filters_by_indicator_region_and_status(client):
    clerk, chief = bureau("520000"), bureau("520000")
    other = Indicator.objects.filter(measure="reported").exclude(
        code="technical_school_enrolment"
    )[0]
    a = entered(clerk, code="520102")
    b = entered(clerk, code="520302")
    c = enter_reported_figure(
        actor=clerk,
        indicator=other,
        region=region("520102"),
        year=2022,
        value=Decimal("5"),
        source="统计",
        source_date=dt.date(2022, 12, 31),
    )
    approve_reported_figure(actor=chief, figure=b)
    client.force_login(chief)

    def shown(**params):
        body = client.get(LIST, params).content.decode()
        return {f.pk for f in (a, b, c) if f'data-figure="{f.pk}"' in body}, body

    assert shown()[0] == {a.pk, b.pk, c.pk}
    assert shown(indicator=school().pk)[0] == {a.pk, b.pk}
    assert shown(region="520300")[0] == {b.pk}
    rows, body = shown(status="draft")
    assert rows == {a.pk, c.pk} and "共 2 条" in body
    rows, body = shown(region="520300", status="draft")
    assert rows == set() and "请放宽筛选条件" in body


def _list_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(LIST).status_code == 200
    return len(queries)


def test_the_list_query_count_does_not_grow_with_rows(client):
    province = bureau("520000")
    client.force_login(province)
    clerks = [bureau("520000") for _ in range(3)]
    ReportedFigureFactory(indicator=school(), entered_by=clerks[0], year=2021)
    client.get(LIST)  # settle one-off lookups
    few = _list_queries(client)
    for n, code in enumerate(["520102", "520302", "520402", "520103", "520303"]):
        figure = ReportedFigureFactory(
            indicator=school(),
            region=region(code),
            entered_by=clerks[n % 3],
            year=2022 + n % 3,
        )
        approve_reported_figure(actor=clerks[(n + 1) % 3], figure=figure)
    assert _list_queries(client) == few


def test_a_draft_is_corrected_from_its_page_before_approval(client):
    clerk = bureau()
    figure = entered(clerk, year=2023)
    client.force_login(clerk)
    body = client.get(url("detail", figure)).content.decode()
    link = element(body, "edit-link")
    edit = link.split('href="')[1].split('"')[0].replace("&amp;", "&")
    form = client.get(edit).content.decode()
    assert 'value="31250' in form and "贵阳市技工院校招生统计表" in form
    response = client.post(NEW, form_data(value="31300"))
    assert response.status_code == 302
    figure.refresh_from_db()
    assert figure.value == Decimal("31300") and ReportedFigure.objects.count() == 1
    assert [e[0] for e in events(figure.pk)] == ["monitoring.figure_entered"] * 2
