"""Who may change which facts of an institution, through the screens and the services.

An institution's staff keep its contact details; its identity (name, credit code, kind,
region, filings) changes only when the bureau approves a change request; its
qualification only by the bureau of its region (or the province), audited.
"""

import datetime as dt
from html.parser import HTMLParser

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from bases import services
from bases.models import (
    ChangeRequestStatus,
    InstitutionChangeRequest,
    InstitutionKind,
    QualificationStatus,
)
from certificates import services as certificate_services
from courses.models import ClassStatus
from tests.factories import (
    CourseFactory,
    InstitutionFactory,
    InstitutionOccupationFactory,
    TrainingClassFactory,
    make_credit_code,
    passed_enrolment,
    region,
    staff_user,
)
from training_platform.audit.models import AuditEvent
from training_platform.reference.models import CertificateKind
from training_platform.roles import Role

pytestmark = pytest.mark.django_db

ELECTRICIAN = "6-31-01-03"
WELDER = "6-18-02-04"


@pytest.fixture
def gy():
    """A pending institution in 贵阳 南明区, filed for 电工."""
    inst = InstitutionFactory(
        name="贵阳甲培训学校",
        region=region("520102"),
        status=QualificationStatus.PENDING,
        approved_at=None,
    )
    InstitutionOccupationFactory(institution=inst, occupation_id=ELECTRICIAN)
    return inst


@pytest.fixture
def staff(gy):
    return staff_user(Role.INSTITUTION, institution=gy)


@pytest.fixture
def bureau_gy():
    return staff_user(Role.BUREAU, region_code="520100")


@pytest.fixture
def bureau_gz():
    return staff_user(Role.BUREAU, region_code="520000")


@pytest.fixture
def bureau_zy():
    return staff_user(Role.BUREAU, region_code="520300")


def edit_url(inst):
    return reverse("traininginstitution:edit", args=[inst.pk])


def events(action, inst):
    return AuditEvent.objects.filter(
        action=action,
        object_type="bases.traininginstitution",
        object_id=str(inst.pk),
    )


def empty_formset(prefix="filings"):
    return {
        f"{prefix}-TOTAL_FORMS": "0",
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def filings_formset(inst, prefix="filings"):
    """The filings as the bureau's form posts them back unchanged."""
    data = {
        f"{prefix}-INITIAL_FORMS": str(inst.filings.count()),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    filings = list(inst.filings.all())
    data[f"{prefix}-TOTAL_FORMS"] = str(len(filings))
    for i, filing in enumerate(filings):
        data.update(
            {
                f"{prefix}-{i}-id": str(filing.pk),
                f"{prefix}-{i}-occupation": filing.occupation_id,
                f"{prefix}-{i}-max_level": filing.max_level,
                f"{prefix}-{i}-filing_no": filing.filing_no,
            }
        )
        if filing.can_train:
            data[f"{prefix}-{i}-can_train"] = "on"
        if filing.can_evaluate:
            data[f"{prefix}-{i}-can_evaluate"] = "on"
    return data


class _FormScraper(HTMLParser):
    """What a browser would post back from the page's main form, untouched."""

    def __init__(self):
        super().__init__()
        self.data, self._select, self._textarea, self._first_option = {}, None, None, {}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        name = a.get("name", "")
        if "__prefix__" in name or name == "csrfmiddlewaretoken":
            name = ""
        if tag == "input" and name:
            if a.get("type") == "checkbox":
                if "checked" in a:
                    self.data[name] = "on"
            elif a.get("type") not in ("submit", "button", "file"):
                self.data[name] = a.get("value", "")
        elif tag == "select":
            self._select = name or None
        elif tag == "option" and self._select:
            self._first_option.setdefault(self._select, a.get("value", ""))
            if "selected" in a:
                self.data[self._select] = a.get("value", "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.data[name] = ""

    def handle_endtag(self, tag):
        if tag == "select" and self._select:
            self.data.setdefault(self._select, "")
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.data[self._textarea] += data


def form_data(response) -> dict:
    assert response.status_code == 200
    scraper = _FormScraper()
    scraper.feed(response.content.decode())
    return scraper.data


# --- item 1: qualification -----------------------------------------------------------


def test_staff_posting_a_qualification_neither_approve_nor_fail_to_save(
    client, gy, staff
):
    """The attack: status/approved_at/name in the POST. The form has no such fields,
    so they are ignored, and the contact details (all the form has) are saved."""
    client.force_login(staff)
    page = client.get(edit_url(gy)).content.decode()
    for absent in ("status", "approved_at", "name", "credit_code", "region", "kind"):
        assert f'name="{absent}"' not in page
    assert 'name="contact_phone"' in page

    response = client.post(
        edit_url(gy),
        {
            "address": "贵阳市南明区新华路1号",
            "contact_name": "王老师",
            "contact_phone": "0851-12345678",
            "status": QualificationStatus.APPROVED,
            "approved_at": "2020-01-01",
            "name": "贵州省第一技能大学",
            **empty_formset(),
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    gy.refresh_from_db()
    assert gy.status == QualificationStatus.PENDING
    assert gy.approved_at is None
    assert gy.name == "贵阳甲培训学校"
    assert gy.contact_phone == "0851-12345678"
    assert gy.contact_name == "王老师"
    assert list(gy.filings.values_list("occupation_id", flat=True)) == [ELECTRICIAN]
    assert not events("bases.institution.qualification", gy).exists()


def test_staff_save_the_form_as_the_screen_renders_it(client, gy, staff):
    """ "无法保存" before: the hidden 资质状态 was still required."""
    client.force_login(staff)
    data = form_data(client.get(edit_url(gy)))
    data["contact_phone"] = "13800000000"
    response = client.post(edit_url(gy), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    gy.refresh_from_db()
    assert gy.contact_phone == "13800000000"
    assert gy.status == QualificationStatus.PENDING


def test_the_bureau_saves_the_form_as_the_screen_renders_it(client, gy, bureau_gy):
    client.force_login(bureau_gy)
    data = form_data(client.get(edit_url(gy)))
    assert data["status"] == QualificationStatus.PENDING
    data["status"] = QualificationStatus.APPROVED
    data["contact_name"] = "李科长"
    response = client.post(edit_url(gy), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    gy.refresh_from_db()
    assert gy.status == QualificationStatus.APPROVED
    assert gy.approved_at is not None  # defaults to the day of approval
    assert gy.contact_name == "李科长"
    assert list(gy.filings.values_list("occupation_id", flat=True)) == [ELECTRICIAN]
    assert events("bases.institution.qualification", gy).count() == 1


def test_a_pending_institution_cannot_issue_after_the_attack(client, gy, staff):
    client.force_login(staff)
    client.post(
        edit_url(gy),
        {"status": QualificationStatus.APPROVED, "contact_name": "王老师"},
    )
    cls = TrainingClassFactory(
        course=CourseFactory(institution=gy), status=ClassStatus.RUNNING
    )
    with pytest.raises(ValidationError) as exc:
        certificate_services.certificate_issue_for_enrolment(
            actor=staff,
            enrolment=passed_enrolment(training_class=cls),
            kind=CertificateKind.TRAINING,
        )
    assert exc.value.code == "issuer_not_qualified"


def test_the_service_refuses_institution_staff(gy, staff):
    with pytest.raises(PermissionDenied):
        services.institution_qualification_set(
            actor=staff, institution=gy, status=QualificationStatus.APPROVED
        )
    with pytest.raises(PermissionDenied):
        services.institution_update(
            actor=staff, institution=gy, changes={"status": "approved"}
        )
    gy.refresh_from_db()
    assert gy.status == QualificationStatus.PENDING


def test_a_bureau_of_another_region_cannot_change_qualification(client, gy, bureau_zy):
    with pytest.raises(PermissionDenied):
        services.institution_qualification_set(
            actor=bureau_zy, institution=gy, status=QualificationStatus.APPROVED
        )
    client.force_login(bureau_zy)
    response = client.post(
        edit_url(gy), {"status": QualificationStatus.APPROVED, **empty_formset()}
    )
    assert response.status_code == 404
    gy.refresh_from_db()
    assert gy.status == QualificationStatus.PENDING
    assert not events("bases.institution.qualification", gy).exists()


def test_the_bureau_of_the_region_approves_through_the_screen_audited(
    client, gy, bureau_gy
):
    client.force_login(bureau_gy)
    page = client.get(edit_url(gy)).content.decode()
    assert 'name="status"' in page
    assert 'name="approved_at"' in page
    response = client.post(
        edit_url(gy),
        {
            "name": gy.name,
            "credit_code": gy.credit_code,
            "kind": gy.kind,
            "region": gy.region_id,
            "address": "",
            "contact_name": "",
            "contact_phone": "",
            "status": QualificationStatus.APPROVED,
            "approved_at": "2026-03-01",
            "qualification_reason": "现场核查合格",
            **filings_formset(gy),
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    gy.refresh_from_db()
    assert gy.status == QualificationStatus.APPROVED
    assert gy.approved_at == dt.date(2026, 3, 1)
    event = events("bases.institution.qualification", gy).get()
    assert event.actor == bureau_gy
    assert event.before == {"status": "pending", "approved_at": None}
    assert event.after == {"status": "approved", "approved_at": "2026-03-01"}
    assert event.reason == "现场核查合格"
    # The filings the form posted back unchanged are untouched and not audited.
    assert list(gy.filings.values_list("occupation_id", flat=True)) == [ELECTRICIAN]
    assert not events("bases.institution.update", gy).exists()


def test_the_province_may_suspend_and_it_is_audited(gy, bureau_gz):
    gy.status = QualificationStatus.APPROVED
    gy.save()
    services.institution_qualification_set(
        actor=bureau_gz,
        institution=gy,
        status=QualificationStatus.SUSPENDED,
        reason="年检不合格",
    )
    gy.refresh_from_db()
    assert gy.status == QualificationStatus.SUSPENDED
    assert events("bases.institution.qualification", gy).get().reason == "年检不合格"


def test_the_bureau_creates_an_institution_audited(client, bureau_gy):
    client.force_login(bureau_gy)
    code = make_credit_code()
    response = client.post(
        reverse("traininginstitution:add"),
        {
            "name": "新登记培训学校",
            "credit_code": code,
            "kind": InstitutionKind.PRIVATE_SCHOOL,
            "region": "520102",
            "status": QualificationStatus.APPROVED,
            "approved_at": "",
            **empty_formset(),
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    from bases.models import TrainingInstitution

    inst = TrainingInstitution.objects.get(credit_code=code)
    assert inst.status == QualificationStatus.APPROVED
    assert inst.approved_at is not None
    assert events("bases.institution.create", inst).get().actor == bureau_gy


# --- item 8: identity changes go through the bureau -----------------------------------


def file_rename(staff, inst, name="贵阳乙职业技能学校", **kw):
    return services.institution_change_request_file(
        actor=staff,
        institution=inst,
        name=name,
        credit_code=kw.get("credit_code", inst.credit_code),
        kind=kw.get("kind", inst.kind),
        region=kw.get("region", inst.region),
        filings=kw.get("filings", list(inst.filings.all())),
        note="更名",
    )


def issue(staff, inst):
    cls = TrainingClassFactory(
        course=CourseFactory(institution=inst), status=ClassStatus.RUNNING
    )
    return certificate_services.certificate_issue_for_enrolment(
        actor=staff,
        enrolment=passed_enrolment(training_class=cls),
        kind=CertificateKind.TRAINING,
    )


def test_staff_cannot_rename_directly(gy, staff):
    with pytest.raises(PermissionDenied):
        services.institution_update(
            actor=staff, institution=gy, changes={"name": "新名字"}
        )
    with pytest.raises(PermissionDenied):
        services.institution_update(actor=staff, institution=gy, changes={}, filings=[])
    gy.refresh_from_db()
    assert gy.name == "贵阳甲培训学校"
    assert gy.filings.count() == 1


def test_certificates_carry_the_approved_name_only(gy, staff, bureau_gy):
    gy.status = QualificationStatus.APPROVED
    gy.save()
    change = file_rename(staff, gy)
    assert change.status == ChangeRequestStatus.PENDING
    gy.refresh_from_db()
    assert gy.name == "贵阳甲培训学校"
    assert issue(staff, gy).issuer_name == "贵阳甲培训学校"

    services.institution_change_request_approve(actor=bureau_gy, change_request=change)
    gy.refresh_from_db()
    assert gy.name == "贵阳乙职业技能学校"
    assert issue(staff, gy).issuer_name == "贵阳乙职业技能学校"
    event = events("bases.institution.change_request.approve", gy).get()
    assert event.before["name"] == "贵阳甲培训学校"
    assert event.after["name"] == "贵阳乙职业技能学校"


def test_rejection_keeps_the_institution_and_needs_a_reason(gy, staff, bureau_gy):
    change = file_rename(staff, gy)
    with pytest.raises(ValidationError):
        services.institution_change_request_reject(
            actor=bureau_gy, change_request=change, reason=" "
        )
    services.institution_change_request_reject(
        actor=bureau_gy, change_request=change, reason="缺少营业执照变更证明"
    )
    change.refresh_from_db()
    gy.refresh_from_db()
    assert change.status == ChangeRequestStatus.REJECTED
    assert change.review_note == "缺少营业执照变更证明"
    assert gy.name == "贵阳甲培训学校"
    assert events("bases.institution.change_request.reject", gy).exists()
    with pytest.raises(ValidationError):  # decided once
        services.institution_change_request_approve(
            actor=bureau_gy, change_request=change
        )


def test_only_the_bureau_of_the_region_reviews(gy, staff, bureau_zy, bureau_gz):
    change = file_rename(staff, gy)
    for actor in (staff, bureau_zy):
        with pytest.raises(PermissionDenied):
            services.institution_change_request_approve(
                actor=actor, change_request=change
            )
    gy.refresh_from_db()
    assert gy.name == "贵阳甲培训学校"
    services.institution_change_request_approve(actor=bureau_gz, change_request=change)
    gy.refresh_from_db()
    assert gy.name == "贵阳乙职业技能学校"


def test_filings_credit_code_kind_and_region_change_on_approval_only(
    gy, staff, bureau_gy
):
    code = make_credit_code("520111")
    change = services.institution_change_request_file(
        actor=staff,
        institution=gy,
        name=gy.name,
        credit_code=code,
        kind=InstitutionKind.ENTERPRISE,
        region=region("520111"),
        filings=[
            {
                "occupation": WELDER,
                "max_level": "3",
                "can_train": True,
                "can_evaluate": True,
                "filing_no": "黔人社备2026-1",
            }
        ],
    )
    gy.refresh_from_db()
    assert gy.credit_code != code
    assert list(gy.filings.values_list("occupation_id", flat=True)) == [ELECTRICIAN]
    services.institution_change_request_approve(actor=bureau_gy, change_request=change)
    gy.refresh_from_db()
    assert (gy.credit_code, gy.kind, gy.region_id) == (
        code,
        InstitutionKind.ENTERPRISE,
        "520111",
    )
    filing = gy.filings.get()
    assert (filing.occupation_id, filing.max_level, filing.can_evaluate) == (
        WELDER,
        "3",
        True,
    )


def test_a_request_is_refused_when_nothing_changes_or_one_is_pending(gy, staff):
    with pytest.raises(ValidationError):
        file_rename(staff, gy, name=gy.name)
    file_rename(staff, gy)
    with pytest.raises(ValidationError):
        file_rename(staff, gy, name="再改一次")
    other = InstitutionFactory()
    with pytest.raises(ValidationError):
        file_rename(staff, gy, credit_code=other.credit_code)


def test_the_change_request_screens(client, gy, staff, bureau_gy, bureau_zy):
    """Staff file from the institution's page; the bureau sees it pending, approves it."""
    client.force_login(staff)
    inspect = client.get(
        reverse("traininginstitution:inspect", args=[gy.pk])
    ).content.decode()
    add_url = reverse("institutionchangerequest:add") + f"?institution={gy.pk}"
    assert add_url.replace("?", "?") in inspect.replace("&amp;", "&")
    form = client.get(add_url)
    assert form.status_code == 200
    body = form.content.decode()
    assert 'value="贵阳甲培训学校"' in body
    assert 'name="status"' not in body
    data = form_data(form)
    data.update(name="贵阳乙职业技能学校", note="营业执照已变更")
    response = client.post(add_url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    change = InstitutionChangeRequest.objects.get(institution=gy)
    assert list(change.filings.values_list("occupation_id", flat=True)) == [ELECTRICIAN]
    gy.refresh_from_db()
    assert gy.name == "贵阳甲培训学校"
    # Staff cannot review their own request.
    review = reverse("bases_change_request_review", args=[change.pk, "approve"])
    client.post(review)
    gy.refresh_from_db()
    assert gy.name == "贵阳甲培训学校"

    # Another prefecture's bureau does not even see it.
    client.force_login(bureau_zy)
    assert (
        client.get(
            reverse("institutionchangerequest:inspect", args=[change.pk])
        ).status_code
        == 404
    )
    assert client.post(review).status_code == 404

    client.force_login(bureau_gy)
    listing = client.get(
        reverse("institutionchangerequest:index") + "?status=pending"
    ).content.decode()
    assert "贵阳乙职业技能学校" in listing
    page = client.get(
        reverse("institutionchangerequest:inspect", args=[change.pk])
    ).content.decode()
    assert "贵阳甲培训学校" in page and "贵阳乙职业技能学校" in page
    assert review in page
    assert client.post(review, {"reason": "材料齐全"}).status_code == 302
    gy.refresh_from_db()
    assert gy.name == "贵阳乙职业技能学校"


def test_other_institutions_cannot_file_for_someone_else(client, gy):
    other_staff = staff_user(Role.INSTITUTION, institution=InstitutionFactory())
    client.force_login(other_staff)
    url = reverse("institutionchangerequest:add") + f"?institution={gy.pk}"
    assert client.get(url).status_code == 404
    assert (
        client.get(
            reverse("institutionchangerequest:add") + "?institution=x"
        ).status_code
        == 404
    )


def test_a_prefecture_bureau_cannot_move_an_institution_out_of_its_region(
    gy, bureau_gy
):
    with pytest.raises(PermissionDenied):
        services.institution_update(
            actor=bureau_gy, institution=gy, changes={"region": region("520302")}
        )
    gy.refresh_from_db()
    assert gy.region_id == "520102"


def test_the_change_request_list_does_not_query_per_row(client, bureau_gy):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def requests(n):
        for _ in range(n):
            inst = InstitutionFactory(region=region("520102"))
            staff = staff_user(Role.INSTITUTION, institution=inst)
            file_rename(staff, inst, name=f"{inst.name}（新）")

    client.force_login(bureau_gy)
    url = reverse("institutionchangerequest:index")
    requests(1)
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    requests(5)
    with CaptureQueriesContext(connection) as six:
        body = client.get(url).content.decode()
    assert body.count("（新）") >= 6
    assert len(six) == len(one)


def test_another_institution_neither_sees_nor_lists_the_request(client, gy, staff):
    change = file_rename(staff, gy)
    other_staff = staff_user(Role.INSTITUTION, institution=InstitutionFactory())
    client.force_login(other_staff)
    inspect = reverse("institutionchangerequest:inspect", args=[change.pk])
    assert client.get(inspect).status_code == 404
    listing = client.get(reverse("institutionchangerequest:index")).content.decode()
    assert "贵阳乙职业技能学校" not in listing
    # Nobody edits or deletes a filed request, not even its author.
    client.force_login(staff)
    for action in ("edit", "delete"):
        url = reverse(f"institutionchangerequest:{action}", args=[change.pk])
        response = client.post(url, {"name": "偷改"})
        assert response.status_code in (302, 403)
        if response.status_code == 302:
            assert response.headers["Location"] == "/admin/"
    change.refresh_from_db()
    assert change.name == "贵阳乙职业技能学校"
