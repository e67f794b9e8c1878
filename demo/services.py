"""Demo data for `make run` and reviewers (SPEC §6): users, institutions, bases, trainees.

Everything comes from fixed seeds, so every run builds the same people and ID numbers,
and every row is looked up by its natural key first, so a second run creates nothing.
Trainees go in with set-based inserts, a few queries per batch of 2,000, never per row.

`make run` seeds at every start, over whatever users did through the screens: a step
the data no longer allows (a suspended institution, a deleted user) is skipped with a
note (demo.skips), never an error, and nothing a user changed is put back.

The steps live here; the fixed records in demo.fixtures, the trainees in demo.people,
classes and certificates in demo.courses and demo.certificates, and what the demo
contains (`demo_info`) in demo.selectors.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from bases.models import (
    InstitutionOccupation,
    QualificationStatus,
    SkillMasterStudio,
    StaffMembership,
    TrainingBase,
    TrainingInstitution,
)
from bases.services import membership_grant
from certificates.models import Certificate
from courses.models import Course, Enrolment, TrainingClass
from demo.certificates import seed_certificates
from demo.courses import seed_courses
from demo.fixtures import (
    BASES,
    DEMO_PASSWORD,
    DEMO_USERNAMES,
    GUIYANG,
    INSTITUTIONS,
    STAFF_NAMES,
    STUDIOS,
    demo_credit_code,
)
from demo.news import seed_news
from demo.people import Person, demo_people
from demo.skips import SeedNotes
from demo.subsidies import seed_subsidies
from subsidies.demo_standards import demo_standards_load
from trainees.models import (
    KeyGroupMembership,
    Trainee,
    id_number_fields,
    id_number_hash,
)
from training_platform.reference.models import Region, RegionLevel
from training_platform.reference.services import reference_data_load
from training_platform.roles import ROLE_PERMISSIONS, Role, group_name, sync_role_groups
from training_platform.validators import parse_id_number

TRAINEES_PER_SCALE = 240
BATCH_SIZE = 2000


def _counts() -> dict:
    user_model = get_user_model()
    return {
        "users": user_model.objects.count(),
        "staff_memberships": StaffMembership.objects.count(),
        "institutions": TrainingInstitution.objects.count(),
        "institution_occupations": InstitutionOccupation.objects.count(),
        "training_bases": TrainingBase.objects.count(),
        "studios": SkillMasterStudio.objects.count(),
        "trainees": Trainee.objects.count(),
        "key_group_memberships": KeyGroupMembership.objects.count(),
        "courses": Course.objects.count(),
        "classes": TrainingClass.objects.count(),
        "enrolments": Enrolment.objects.count(),
        "certificates": Certificate.objects.count(),
    }


def _ensure_reference_data() -> None:
    if not Region.objects.exists():
        reference_data_load()
    names = [group_name(role) for role in ROLE_PERMISSIONS]
    if Group.objects.filter(name__in=names).count() < len(names):
        sync_role_groups()


def _seed_institutions(notes: SeedNotes) -> dict:
    """The demo institutions by key: found by credit code (or, if a user changed the
    code, by name), created if missing; a key is absent if it cannot be created."""
    codes = {demo.key: demo_credit_code(demo) for demo in INSTITUTIONS}
    existing = {
        inst.credit_code: inst
        for inst in TrainingInstitution.objects.filter(credit_code__in=codes.values())
    }
    by_name = {}
    for inst in TrainingInstitution.objects.filter(
        name__in=[demo.name for demo in INSTITUTIONS]
    ).order_by("-pk"):
        by_name[inst.name] = inst  # the oldest of a name wins
    institutions = {}
    filings = []
    for number, demo in enumerate(INSTITUTIONS, start=1):
        inst = existing.get(codes[demo.key]) or by_name.get(demo.name)
        if inst is None:
            inst = TrainingInstitution(
                name=demo.name,
                credit_code=codes[demo.key],
                kind=demo.kind,
                region_id=demo.county,
                address=demo.address,
                contact_name=demo.contact_name,
                contact_phone=demo.contact_phone,
                status=QualificationStatus.APPROVED,
                approved_at=demo.approved_at,
            )
            with notes.attempt(f"培训机构“{demo.name}”"):
                inst.full_clean()
                inst.save()
            if inst.pk is None:
                continue
        institutions[demo.key] = inst
        year = demo.approved_at.year
        filings += [
            InstitutionOccupation(
                institution=inst,
                occupation_id=code,
                max_level=level,
                can_train=can_train,
                can_evaluate=can_evaluate,
                filing_no=f"黔人社职备〔{year}〕{number:02d}{line:02d}号",
            )
            for line, (code, level, can_train, can_evaluate) in enumerate(
                demo.filings, start=1
            )
        ]
    InstitutionOccupation.objects.bulk_create(filings, ignore_conflicts=True)
    return institutions


def _seed_bases(institutions: dict, notes: SeedNotes) -> None:
    existing = set(
        TrainingBase.objects.filter(name__in=[b.name for b in BASES]).values_list(
            "name", flat=True
        )
    )
    for demo in BASES:
        if demo.name in existing:
            continue
        host = institutions.get(demo.host)
        if host is None:
            notes.skip(f"实训基地“{demo.name}”", "依托机构不存在")
            continue
        base = TrainingBase(
            name=demo.name,
            kind=demo.kind,
            level=demo.level,
            host=host,
            region_id=host.region_id,
            stations=demo.stations,
            approval_year=demo.approval_year,
            approval_doc_no=demo.approval_doc_no,
            funding=demo.funding,
            description=demo.description,
        )
        with notes.attempt(f"实训基地“{demo.name}”"):
            base.full_clean()
            base.save()
            base.occupations.set(demo.occupations)


def _seed_studios(institutions: dict, notes: SeedNotes) -> None:
    existing = set(
        SkillMasterStudio.objects.filter(
            name__in=[s.name for s in STUDIOS]
        ).values_list("name", flat=True)
    )
    for demo in STUDIOS:
        if demo.name in existing:
            continue
        host = institutions.get(demo.host)
        if host is None:
            notes.skip(f"技能大师工作室“{demo.name}”", "依托机构不存在")
            continue
        studio = SkillMasterStudio(
            name=demo.name,
            level=demo.level,
            host=host,
            region_id=host.region_id,
            occupation_id=demo.occupation,
            master_name=demo.master_name,
            master_level=demo.master_level,
            master_honours=demo.master_honours,
            approval_year=demo.approval_year,
            approval_doc_no=demo.approval_doc_no,
            funding=demo.funding,
            apprentices_mentored=demo.apprentices_mentored,
            results=demo.results,
        )
        with notes.attempt(f"技能大师工作室“{demo.name}”"):
            studio.full_clean()
            studio.save()


def _user(username: str, password: str, *, last_name="", first_name="", **flags):
    """The demo user of this name, created if missing (``user.created`` says which)."""
    user, created = get_user_model().objects.get_or_create(
        username=username,
        defaults={
            "password": password,
            "last_name": last_name,
            "first_name": first_name,
            **flags,
        },
    )
    user.created = created
    return user


def _seed_staff(institutions: dict, password: str, notes: SeedNotes) -> None:
    """The demo staff and their roles. A role is granted once, to a user the seed
    created or who never had it: a role a user took away (or a membership switched
    off) through the screens stays as they left it."""

    def staff(username, **flags):
        last_name, first_name = STAFF_NAMES[username]
        return _user(
            username, password, last_name=last_name, first_name=first_name, **flags
        )

    def grant(user, role, *, institution=None, region=None):
        if StaffMembership.objects.filter(
            user=user, role=role, institution=institution, region=region
        ).exists():
            return
        with notes.attempt(f"{user.username} 的{Role(role).label}身份"):
            membership_grant(
                user=user, role=role, institution=institution, region=region
            )

    staff("admin", is_superuser=True, is_staff=True)
    editor = staff("editor")
    if editor.created:
        editor.groups.add(Group.objects.get(name=group_name(Role.EDITOR)))
    province = Region.objects.get(level=RegionLevel.PROVINCE)
    guiyang = Region.objects.get(code=GUIYANG)
    grant(staff("bureau_gz"), Role.BUREAU, region=province)
    grant(staff("bureau_gy"), Role.BUREAU, region=guiyang)
    grant(staff("auditor"), Role.AUDITOR, region=province)
    for username, role in (
        ("inst_a", Role.INSTITUTION),
        ("inst_b", Role.INSTITUTION),
        ("evaluator", Role.EVALUATOR),
    ):
        user = staff(username)
        institution = institutions.get(username)
        if institution is None:
            notes.skip(f"{username} 的{Role(role).label}身份", "所属机构不存在")
            continue
        grant(user, role, institution=institution)


def _seed_trainees(count: int, stdout=None, people=None) -> Person:
    """Insert ``count`` demo trainees with their key groups; return the first person.

    ``people`` draws them (default: ``demo_people(count)``)."""
    people = demo_people(count) if people is None else people
    first = None
    done = 0
    while done < count:
        batch = [next(people) for _ in range(min(BATCH_SIZE, count - done))]
        first = first or batch[0]
        hashes = [id_number_hash(person.id_number) for person in batch]
        ids = dict(
            Trainee.objects.filter(id_number_hash__in=hashes).values_list(
                "id_number_hash", "pk"
            )
        )
        # People from an earlier run are skipped before paying for encryption; the
        # unique blind index (ignore_conflicts) covers anyone added meanwhile.
        new = [
            person
            for person, hashed in zip(batch, hashes, strict=True)
            if hashed not in ids
        ]
        if new:
            Trainee.objects.bulk_create(
                [
                    Trainee(
                        name=person.name,
                        phone=person.phone,
                        household_region_id=person.household,
                        residence_region_id=person.residence,
                        education=person.education,
                        **id_number_fields(parse_id_number(person.id_number)),
                    )
                    for person in new
                ],
                batch_size=BATCH_SIZE,
                ignore_conflicts=True,
            )
            new_hashes = {id_number_hash(person.id_number) for person in new}
            created = dict(
                Trainee.objects.filter(id_number_hash__in=new_hashes).values_list(
                    "id_number_hash", "pk"
                )
            )
            KeyGroupMembership.objects.bulk_create(
                [
                    KeyGroupMembership(
                        trainee_id=created[id_number_hash(person.id_number)],
                        group_id=code,
                        since=since,
                        evidence=evidence,
                    )
                    for person in new
                    if id_number_hash(person.id_number) in created
                    for code, since, evidence in person.key_groups
                ],
                batch_size=BATCH_SIZE,
                ignore_conflicts=True,
            )
        done += len(batch)
        if stdout is not None and count > BATCH_SIZE:
            stdout.write(f"trainees {done}/{count}")
    return first


def _seed_trainee_user(first: Person, password: str, notes: SeedNotes) -> None:
    user = _user(
        "trainee", password, last_name=first.name[:1], first_name=first.name[1:]
    )
    if not Trainee.objects.filter(user=user).exists():
        linked = Trainee.objects.filter(
            id_number_hash=id_number_hash(first.id_number),
            user__isnull=True,
        ).update(user=user, updated_at=timezone.now())
        if not linked:
            notes.skip("为 trainee 账号关联学员档案", "该档案已关联其他账号")


@transaction.atomic
def demo_seed(*, scale: int = 1, stdout=None) -> dict:
    """Create the demo data set (SPEC §6) with 240 × ``scale`` trainees; repeat-safe.

    Only what is missing is created; steps the data no longer allows are skipped, each
    with a note written to ``stdout`` and listed under ``skipped`` in the summary.
    """
    if scale < 1:
        raise ValueError("scale must be at least 1")
    notes = SeedNotes(stdout)
    _ensure_reference_data()
    before = _counts()
    existing = set(
        get_user_model()
        .objects.filter(username__in=DEMO_USERNAMES)
        .values_list("username", flat=True)
    )
    # One hash for every new demo user: PBKDF2 costs a good fraction of a second per
    # call, and these accounts share a published password anyway.
    password = make_password(DEMO_PASSWORD) if set(DEMO_USERNAMES) - existing else ""
    institutions = _seed_institutions(notes)
    _seed_staff(institutions, password, notes)
    _seed_bases(institutions, notes)
    _seed_studios(institutions, notes)
    first = _seed_trainees(TRAINEES_PER_SCALE * scale, stdout)
    _seed_trainee_user(first, password, notes)
    seed_courses(institutions, notes)
    seed_certificates(notes)
    demo_standards_load(notes=notes)
    seed_subsidies(notes)
    # --- c12-publish ---
    from demo.competitions import seed_competitions

    seed_competitions(notes)
    # --- end c12-publish ---
    # --- c12-news ---
    seed_news(notes)
    # --- end c12-news ---
    # --- c12-bases ---
    from demo.bases_registry import seed_bases_registry

    seed_bases_registry(institutions, notes)
    # --- end c12-bases ---
    # --- c13-demohist --- (the plan period's history, after the demo's own classes)
    from demo.plan_history import seed_plan_history

    seed_plan_history(institutions, notes)
    # --- end c13-demohist ---
    # --- c12-pages --- (after the competitions are seeded)
    from demo.competition_pages import seed_competition_pages

    seed_competition_pages(notes)
    # --- end c12-pages ---
    after = _counts()
    return {
        "scale": scale,
        **after,
        "created": {name: after[name] - before[name] for name in after},
        "skipped": notes.items,
    }
