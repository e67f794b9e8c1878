import io
import json
from collections import Counter
from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.test import RequestFactory

from bases.models import (
    BaseKind,
    InstitutionKind,
    QualificationStatus,
    SkillMasterStudio,
    TrainingBase,
    TrainingInstitution,
)
from certificates.models import Certificate
from demo.divisions import id_region_code, today_of
from demo.fixtures import DEMO_PASSWORD, DEMO_USERNAMES
from demo.people import demo_people
from demo.plan_history import PREFECTURES
from demo.selectors import demo_info
from demo.services import demo_seed
from trainees.models import KeyGroupMembership, Trainee, id_number_hash
from training_platform import access
from training_platform.reference.models import SkillLevel
from training_platform.validators import (
    normalize_credit_code,
    normalize_mobile,
    parse_id_number,
)

pytestmark = pytest.mark.django_db

# username → (roles, scope, login_url): the demo contract of SPEC §6.
EXPECTED_USERS = {
    "admin": (["admin"], None, "/admin/"),
    "editor": (["editor"], None, "/admin/"),
    "bureau_gz": (["bureau"], "贵州省", "/admin/"),
    "bureau_gy": (["bureau"], "贵阳市", "/admin/"),
    "inst_a": (["institution"], "贵阳黔匠职业技能培训学校", "/admin/"),
    "inst_b": (["institution"], "遵义市红花岗区红城职业技能培训学校", "/admin/"),
    "evaluator": (["evaluator"], "贵州筑匠职业技能评价中心有限公司", "/admin/"),
    "auditor": (["auditor"], "贵州省", "/admin/"),
    "trainee": (["trainee"], None, "/accounts/login/"),
}


def run(command, *args) -> str:
    out = io.StringIO()
    call_command(command, *args, stdout=out)
    return out.getvalue()


def user(username):
    return get_user_model().objects.get(username=username)


def institution_of(username):
    return TrainingInstitution.objects.get(memberships__user__username=username)


def every_model_count() -> dict:
    return {
        model._meta.label: model._base_manager.count()
        for model in apps.get_models()
        if model._meta.managed and not model._meta.proxy
    }


@pytest.fixture
def seeded():
    return demo_seed()


def test_seeding_twice_changes_nothing():
    first = json.loads(run("seed_demo").splitlines()[-1])
    counts = every_model_count()
    second = json.loads(run("seed_demo").splitlines()[-1])

    assert every_model_count() == counts
    assert set(second["created"].values()) == {0}
    # 240 demo trainees, and 270 (9 prefectures × 30) of the plan-period history.
    assert first["created"]["trainees"] == first["trainees"] == 240 + 270
    assert "seconds" in second
    assert sorted(
        get_user_model().objects.values_list("username", flat=True)
    ) == sorted(DEMO_USERNAMES)


def test_demo_info_reports_each_users_roles_scope_and_login(seeded):
    info = json.loads(run("demo_info"))

    assert info["password"] == DEMO_PASSWORD
    states = {c["state"]: c for c in info["certificates"]}
    assert list(states) == ["valid", "expired", "revoked", "superseded"]
    classes = {c["code"]: c for c in info["classes"]}
    assert {"DEMO-001", "DEMO-002"} <= set(classes)
    reported = {
        entry["username"]: (entry["roles"], entry["scope"], entry["login_url"])
        for entry in info["users"]
    }
    assert reported == EXPECTED_USERS
    assert [entry["username"] for entry in info["users"]] == list(DEMO_USERNAMES)


def test_demo_info_follows_the_data_not_a_table(seeded):
    auditor = user("auditor")
    auditor.memberships.update(is_active=False)
    get_user_model().objects.filter(username="editor").delete()

    reported = {entry["username"]: entry for entry in demo_info()["users"]}

    assert "editor" not in reported
    assert reported["auditor"]["roles"] == []
    assert reported["auditor"]["scope"] is None


def test_demo_info_lists_nobody_before_seeding():
    assert demo_info()["users"] == []


def test_logins_table_names_urls_users_and_password(seeded):
    text = run("demo_info", "--logins")

    assert "http://127.0.0.1:8000/" in text
    assert "http://127.0.0.1:8000/admin/" in text
    assert DEMO_PASSWORD in text
    for username in DEMO_USERNAMES:
        assert username in text
    assert "贵阳市" in text
    assert "人社部门" in text
    with pytest.raises(json.JSONDecodeError):
        json.loads(text)


def test_every_demo_user_signs_in_with_the_demo_password(seeded):
    for username in DEMO_USERNAMES:
        # Sign-in throttling (django-axes) needs the request every sign-in comes with.
        request = RequestFactory().post("/accounts/login/")
        assert (
            authenticate(request, username=username, password=DEMO_PASSWORD) is not None
        )
    admin = user("admin")
    assert admin.is_superuser and admin.is_staff
    assert user("bureau_gy").last_name and user("bureau_gy").first_name


def test_trainees_carry_valid_id_numbers_and_phones_from_all_nine_prefectures(seeded):
    trainees = list(Trainee.objects.all())
    # The demo's own trainees; the plan-period history's people (demo.plan_history)
    # live in their prefectures' counties.
    own = {id_number_hash(person.id_number) for person in demo_people(240)}
    history = {
        code: prefecture[:4]
        for prefecture, (_, counties, _) in PREFECTURES.items()
        for code in counties
    }

    assert len(trainees) >= 200
    assert sum(trainee.id_number_hash in own for trainee in trainees) == 240
    own_prefectures = set()
    for trainee in trainees:
        info = parse_id_number(trainee.id_number)
        assert info.birth_date.year == trainee.birth_year
        assert info.sex == trainee.sex
        assert 1965 <= trainee.birth_year <= 2006
        # The code the county had at the birth date (毕节 before 2011: 5224xx).
        county = today_of(info.region_code)
        assert info.region_code == id_region_code(county, info.birth_date)
        if trainee.id_number_hash in own:
            own_prefectures.add(trainee.household_region_id[:4])
            assert trainee.household_region_id[:4] == county[:4]
            # Most live where they are registered, many in 贵阳 or 遵义, a few
            # elsewhere in the province.
            assert trainee.residence_region_id[:2] == "52"
        else:
            prefecture = history[county]
            assert trainee.household_region_id[:4] == prefecture
            assert trainee.residence_region_id[:4] in {prefecture, "5201", "5203"}
        assert normalize_mobile(trainee.phone) == trainee.phone
        assert 2 <= len(trainee.name) <= 3
    residences = Counter(
        trainee.residence_region_id[:4]
        for trainee in trainees
        if trainee.id_number_hash in own
    )
    assert residences["5201"] > residences["5204"]
    assert own_prefectures == {
        "5201",
        "5202",
        "5203",
        "5204",
        "5205",
        "5206",
        "5223",
        "5226",
        "5227",
    }
    in_groups = Trainee.objects.filter(key_group_memberships__isnull=False).distinct()
    assert 0.30 <= in_groups.count() / len(trainees) <= 0.50
    for membership in KeyGroupMembership.objects.all():
        assert 2019 <= membership.since.year <= 2025


def test_the_trainee_user_is_a_guiyang_trainee_in_a_key_group(seeded):
    trainee_user = user("trainee")
    record = Trainee.objects.get(user=trainee_user)

    assert record.residence_region_id.startswith("5201")
    assert record.key_group_memberships.exists()
    assert access.scope_for(trainee_user).trainee_id == record.pk
    assert trainee_user.get_full_name().replace(" ", "") in {
        record.name,
        record.name[1:] + record.name[0],
    }


def test_institutions_have_valid_credit_codes_and_approved_filings(seeded):
    institutions = list(TrainingInstitution.objects.prefetch_related("filings"))

    assert 6 <= len(institutions) <= 8
    for inst in institutions:
        assert normalize_credit_code(inst.credit_code) == inst.credit_code
        assert inst.credit_code[2:8] == inst.region_id
        assert inst.status == QualificationStatus.APPROVED
        assert inst.contact_name and inst.contact_phone
        assert inst.filings.all()
    assert {inst.region_id[:4] for inst in institutions} == {"5201", "5203"}


def test_inst_a_and_inst_b_sit_in_guiyang_and_zunyi(seeded):
    inst_a, inst_b = institution_of("inst_a"), institution_of("inst_b")

    assert inst_a.region_id == "520102"
    assert inst_b.region_id.startswith("5203")
    guiyang = access.visible(user("bureau_gy"), TrainingInstitution)
    assert inst_a in guiyang
    assert inst_b not in guiyang
    province = access.visible(user("bureau_gz"), TrainingInstitution)
    assert {inst_a, inst_b} <= set(province)
    assert list(access.visible(user("inst_a"), TrainingInstitution)) == [inst_a]


def test_evaluator_is_an_evaluation_org_filed_to_evaluate(seeded):
    org = institution_of("evaluator")

    assert org.kind == InstitutionKind.EVALUATION_ORG
    assert org.region_id == "520115"
    filings = org.filings.filter(can_evaluate=True)
    assert filings.count() >= 5
    assert {f.max_level for f in filings} <= {SkillLevel.LEVEL_2, SkillLevel.LEVEL_3}


def test_bases_and_studios_are_complete(seeded):
    bases = list(TrainingBase.objects.prefetch_related("occupations"))
    studios = list(SkillMasterStudio.objects.all())

    assert {base.kind for base in bases} == set(BaseKind.values)
    for base in bases:
        assert isinstance(base.funding, Decimal) and base.funding > 0
        assert base.stations > 0 and base.occupations.all()
        assert base.approval_year and base.approval_doc_no
        assert base.region_id == base.host.region_id
    assert 3 <= len(studios) <= 4
    assert "6-09-03-11" in {studio.occupation_id for studio in studios}
    for studio in studios:
        assert studio.master_name and studio.master_honours and studio.results
        assert studio.master_level in {SkillLevel.LEVEL_1, SkillLevel.LEVEL_2}
        assert studio.apprentices_mentored > 0
    # 红花岗区's base is Zunyi's, out of 贵阳's sight.
    guiyang_bases = access.visible(user("bureau_gy"), TrainingBase)
    assert {b.region_id[:4] for b in guiyang_bases} == {"5201"}


def test_scale_two_after_scale_one_adds_exactly_the_extra_trainees():
    demo_seed(scale=1)
    first = set(Trainee.objects.values_list("id_number_hash", flat=True))

    summary = demo_seed(scale=2)

    assert summary["created"]["trainees"] == 240
    assert Trainee.objects.count() == 480 + 270  # and the plan-period history's
    assert first < set(Trainee.objects.values_list("id_number_hash", flat=True))


class QueryCounter:
    """Counts every statement (CaptureQueriesContext stops at 9,000)."""

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)

    def __len__(self):
        return self.count


def counting():
    counter = QueryCounter()
    return counter, connection.execute_wrapper(counter)


def test_query_count_hardly_grows_with_scale():
    at_scale_1, wrapper = counting()
    with transaction.atomic():
        with wrapper:
            demo_seed(scale=1)
        first_people = set(Trainee.objects.values_list("id_number_hash", flat=True))
        transaction.set_rollback(True)
    assert not Trainee.objects.exists()

    at_scale_3, wrapper = counting()
    with wrapper:
        demo_seed(scale=3)

    assert Trainee.objects.count() == 720 + 270  # and the plan-period history's
    # A fresh database gets the same people: the data set is deterministic.
    assert first_people < set(Trainee.objects.values_list("id_number_hash", flat=True))
    queries_1, queries_3 = len(at_scale_1), len(at_scale_3)
    assert queries_3 < 2 * queries_1
    # 480 more trainees, yet only a handful more queries (batched inserts).
    assert queries_3 - queries_1 < 30


def test_seed_demo_refuses_bad_scale_and_production_settings(settings):
    with pytest.raises(CommandError):
        run("seed_demo", "--scale", "0")
    settings.SETTINGS_MODULE = "training_platform.settings.production"
    with pytest.raises(CommandError):
        run("seed_demo")
    assert not Trainee.objects.exists()


def test_demo_classes_follow_the_contract(seeded):
    from courses.models import ClassStatus, Enrolment, TrainingClass

    demo_1 = TrainingClass.objects.select_related("course__institution").get(
        code="DEMO-001"
    )
    demo_2 = TrainingClass.objects.select_related("course__institution").get(
        code="DEMO-002"
    )
    inst_a = (
        get_user_model().objects.get(username="inst_a").memberships.get().institution
    )
    inst_b = (
        get_user_model().objects.get(username="inst_b").memberships.get().institution
    )
    assert (demo_1.course.institution, demo_1.status, demo_1.capacity) == (
        inst_a,
        ClassStatus.OPEN,
        1000,
    )
    assert (demo_2.course.institution, demo_2.status) == (inst_b, ClassStatus.OPEN)
    for cls in (demo_1, demo_2):
        active = Enrolment.objects.filter(training_class=cls, status="enrolled").count()
        assert active > 0
        assert cls.seats_taken == active
    # Classes in every state a reviewer needs, and results on the finished ones.
    statuses = set(TrainingClass.objects.values_list("status", flat=True))
    assert {
        ClassStatus.OPEN,
        ClassStatus.FILED,
        ClassStatus.RUNNING,
        ClassStatus.FINISHED,
    } <= statuses
    finished = Enrolment.objects.filter(training_class__status=ClassStatus.FINISHED)
    assert finished.filter(result="passed").exists()
    assert finished.filter(result="failed").exists()
    # The demo trainee has classes to see under "my classes", one of them passed.
    mine = Enrolment.objects.filter(trainee__user__username="trainee")
    assert set(mine.values_list("training_class__code", flat=True)) == {
        "DEMO-001",
        "GY-2026-003",
    }
    assert mine.get(training_class__code="GY-2026-003").result == "passed"
    # Every demo course has its public page under the catalogue, live.
    from cms.models import CoursePage
    from courses.models import Course

    assert CoursePage.objects.live().count() == Course.objects.count()
    # Approval went through the right bureau, with an audit trail.
    from training_platform.audit.models import AuditEvent

    assert demo_1.approved_by.username == "bureau_gy"
    assert AuditEvent.objects.filter(action="class.approve").count() >= 8


def test_demo_certificates_verify_as_their_state(seeded, client):
    from certificates.signing import verify_qr_text

    info = json.loads(run("demo_info"))
    for entry in info["certificates"]:
        assert entry["qr_text"].startswith(entry["verification_url"] + "?")
        assert verify_qr_text(entry["qr_text"]).genuine
        path = entry["verification_url"].split("://", 1)[1].split("/", 1)[1]
        response = client.get("/" + path)
        assert f'data-status="{entry["state"]}"' in response.content.decode()
    # The demo trainee holds a valid certificate of their own.
    mine = Certificate.objects.filter(trainee__user__username="trainee")
    assert any(c.display_status() == "valid" for c in mine)


def test_demo_subsidies_show_the_whole_flow(seeded):
    from subsidies.models import (
        BatchStatus,
        Claim,
        ClaimStatus,
        DisbursementBatch,
        Objection,
        ObjectionStatus,
    )
    from trainees.records import record_for

    states = set(Claim.objects.values_list("status", flat=True))
    assert states == set(ClaimStatus.values)
    assert DisbursementBatch.objects.filter(status=BatchStatus.RECONCILED).exists()
    held = Objection.objects.get(status=ObjectionStatus.OPEN).claim
    assert held.status == ClaimStatus.IN_NOTICE
    overridden = Claim.objects.exclude(override_reason="").get()
    assert overridden.checks.filter(passed=False).exists()
    # The demo trainee's record shows a paid subsidy.
    trainee = Trainee.objects.get(user__username="trainee")
    subsidies = record_for(trainee).section("subsidies").entries
    assert {entry.obj["status"] for entry in subsidies} >= {ClaimStatus.PAID}
