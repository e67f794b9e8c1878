"""Demo courses, classes and enrolments (SPEC §6: DEMO-001, DEMO-002 and friends).

Classes go through the same services a user's clicks would (file, approve, open, enrol,
attendance, results, finish), so the demo also carries a believable audit trail. The
class set is fixed whatever the scale; classes are found by code, so re-runs add nothing.
A class the rules refuse now (its institution suspended, a demo user switched off) is
skipped with a note, whole: no half-built class is left behind.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils import timezone

from bases.models import TrainingBase, TrainingInstitution
from cms.models import CourseIndexPage, CoursePage
from courses import services
from courses.models import (
    AssessmentResult,
    ClassStatus,
    Course,
    CourseKind,
    CourseMode,
    EnrolmentSource,
    TrainingClass,
)
from demo.skips import SeedNotes
from trainees.models import Trainee
from training_platform.reference.models import Region, SkillLevel

L5, L4, L3 = SkillLevel.LEVEL_5, SkillLevel.LEVEL_4, SkillLevel.LEVEL_3


@dataclass(frozen=True)
class DemoCourse:
    key: str
    institution: str  # credit-code key of demo.fixtures.INSTITUTIONS
    occupation: str
    title: str
    level: str
    kind: str
    hours: int
    fee: Decimal
    subsidised: bool = True
    mode: str = CourseMode.OFFLINE


COURSES = (
    DemoCourse(
        "electrician",
        "inst_a",
        "6-31-01-03",
        "电工（四级/中级工）职业技能培训",
        L4,
        CourseKind.EMPLOYMENT,
        120,
        Decimal("1800.00"),
    ),
    DemoCourse(
        "elder_care",
        "inst_a",
        "4-10-01-05",
        "养老护理员（五级/初级工）培训",
        L5,
        CourseKind.EMPLOYMENT,
        80,
        Decimal("1200.00"),
    ),
    DemoCourse(
        "e_commerce",
        "inst_a",
        "4-01-06-01",
        "电子商务师（四级）岗位技能提升培训",
        L4,
        CourseKind.UPGRADE,
        96,
        Decimal("1500.00"),
        mode=CourseMode.BLENDED,
    ),
    DemoCourse(
        "live_marketing",
        "inst_a",
        "4-01-06-02",
        "互联网营销师（直播销售员）培训",
        L4,
        CourseKind.EMPLOYMENT,
        64,
        Decimal("1300.00"),
        mode=CourseMode.BLENDED,
    ),
    DemoCourse(
        "cook",
        "inst_b",
        "4-03-02-01",
        "中式烹调师（黔菜）四级培训",
        L4,
        CourseKind.EMPLOYMENT,
        120,
        Decimal("2000.00"),
    ),
    DemoCourse(
        "tea",
        "inst_b",
        "4-03-02-07",
        "茶艺师（五级）培训",
        L5,
        CourseKind.EMPLOYMENT,
        60,
        Decimal("900.00"),
    ),
    DemoCourse(
        "housekeeping",
        "inst_b",
        "4-10-01-06",
        "家政服务员（五级）培训",
        L5,
        CourseKind.EMPLOYMENT,
        56,
        Decimal("800.00"),
    ),
    DemoCourse(
        "welder",
        "qianbei_tech",
        "6-18-02-04",
        "焊工（四级）企业新型学徒制培训",
        L4,
        CourseKind.APPRENTICESHIP,
        160,
        Decimal("0.00"),
    ),
    DemoCourse(
        "startup",
        "housekeeping",
        "4-10-01-06",
        "家政创业培训（SYB）",
        "",
        CourseKind.ENTREPRENEURSHIP,
        80,
        Decimal("0.00"),
    ),
)


@dataclass(frozen=True)
class DemoClass:
    code: str
    course: str
    status: str
    capacity: int
    start_in_days: int  # relative to the day the demo is built
    days: int
    enrolments: int
    venue: str = ""  # a demo base's name
    # for finished classes: share of enrolments that pass / fail (rest absent)
    passes: float = 0.8


CLASSES = (
    DemoClass(
        "DEMO-001",
        "electrician",
        ClassStatus.OPEN,
        1000,
        21,
        30,
        40,
        venue="贵阳市公共实训基地",
    ),
    DemoClass("DEMO-002", "cook", ClassStatus.OPEN, 60, 14, 30, 20),
    DemoClass("GY-2026-003", "elder_care", ClassStatus.FINISHED, 40, -90, 20, 35),
    DemoClass("GY-2026-004", "e_commerce", ClassStatus.OPEN, 30, 10, 24, 30),  # full
    DemoClass("GY-2026-005", "live_marketing", ClassStatus.FILED, 50, 30, 16, 0),
    DemoClass(
        "GY-2026-006",
        "electrician",
        ClassStatus.RUNNING,
        40,
        -10,
        30,
        25,
        venue="贵阳市公共实训基地",
    ),
    DemoClass("ZY-2026-007", "tea", ClassStatus.FINISHED, 30, -60, 15, 26),
    DemoClass("ZY-2026-008", "housekeeping", ClassStatus.OPEN, 40, 20, 14, 8),
    DemoClass("ZY-2026-009", "welder", ClassStatus.OPEN, 24, 30, 60, 6),
    DemoClass("GY-2026-010", "startup", ClassStatus.OPEN, 30, 40, 10, 0),
)

# The path each target status takes from a new draft.
PATHS = {
    ClassStatus.FILED: ("file",),
    ClassStatus.OPEN: ("file", "approve", "open"),
    ClassStatus.RUNNING: ("file", "approve", "open", "start"),
    ClassStatus.FINISHED: ("file", "approve", "open", "start", "finish"),
}


def seed_courses(institutions: dict, notes: SeedNotes | None = None) -> None:
    """Create the demo courses, classes and enrolments that do not exist yet."""
    notes = notes or SeedNotes()
    users = get_user_model().objects.in_bulk(
        ["admin", "bureau_gz", "bureau_gy", "inst_a", "inst_b"], field_name="username"
    )
    courses = _courses(institutions, notes)
    _course_pages(courses, notes)
    existing = set(
        TrainingClass.objects.filter(code__in=[c.code for c in CLASSES]).values_list(
            "code", flat=True
        )
    )
    if all(demo.code in existing for demo in CLASSES):
        return
    venues = {
        b.name: b
        for b in TrainingBase.objects.filter(
            name__in={c.venue for c in CLASSES if c.venue}
        )
    }
    pool = list(Trainee.objects.order_by("pk").values_list("pk", flat=True)[:400])
    demo_trainee = Trainee.objects.filter(user__username="trainee").first()
    # The index in the fixed list (not among the missing) picks the people, so a class
    # re-created later gets the people it would have had.
    for index, demo in enumerate(CLASSES):
        if demo.code in existing:
            continue
        course = courses.get(demo.course)
        if course is None:
            notes.skip(f"培训班 {demo.code}", "培训项目未能创建")
            continue
        # inst_a and inst_b have demo staff of the same name; others act through admin.
        staff = users.get(demo_course(demo).institution) or users.get("admin")
        bureau = users.get(
            "bureau_gy"
            if course.institution.region_id.startswith("5201")
            else "bureau_gz"
        )
        if staff is None or bureau is None:
            notes.skip(f"培训班 {demo.code}", "办班或审批的演示账号不存在")
            continue
        with notes.attempt(f"培训班 {demo.code}"):
            _seed_class(
                demo,
                course,
                staff,
                bureau,
                venues.get(demo.venue),
                _people(pool, index, demo, demo_trainee),
            )


def _course_pages(courses: dict, notes: SeedNotes) -> None:
    """A public CoursePage under the catalogue for each demo course that has none."""
    index = CourseIndexPage.objects.first()
    if index is None:  # an editor removed the catalogue; nothing to publish under
        return
    have = set(
        CoursePage.objects.filter(course__in=courses.values()).values_list(
            "course_id", flat=True
        )
    )
    for key, course in courses.items():
        if course.pk in have:
            continue
        with notes.attempt(f"课程页面“{course.title}”"):
            index.add_child(
                instance=CoursePage(
                    title=course.title,
                    slug=key.replace("_", "-"),
                    course=course,
                    intro=f"<p>{course.description}</p>",
                )
            )
        index.refresh_from_db()  # treebeard keeps numchild on the parent row


def demo_course(demo: DemoClass) -> DemoCourse:
    return next(c for c in COURSES if c.key == demo.course)


def _courses(institutions: dict, notes: SeedNotes) -> dict:
    """The demo courses by key: found by institution and title (or, if a user renamed
    one, by what it trains), created if missing; absent if they cannot be."""
    found = {
        (c.institution_id, c.title): c
        for c in Course.objects.filter(title__in=[d.title for d in COURSES])
    }
    courses = {}
    for demo in COURSES:
        institution: TrainingInstitution | None = institutions.get(demo.institution)
        if institution is None:
            notes.skip(f"培训项目“{demo.title}”", "所属机构不存在")
            continue
        course = found.get((institution.pk, demo.title))
        if course is None:
            course = (
                Course.objects.filter(
                    institution=institution,
                    occupation_id=demo.occupation,
                    target_level=demo.level,
                    kind=demo.kind,
                )
                .order_by("pk")
                .first()
            )
        if course is None:
            course = Course(
                institution=institution,
                occupation_id=demo.occupation,
                title=demo.title,
                target_level=demo.level,
                kind=demo.kind,
                hours=demo.hours,
                fee=demo.fee,
                subsidised=demo.subsidised,
                mode=demo.mode,
                description=f"{demo.title}，理论与实操结合，结业后可参加相应职业技能等级认定。",
            )
            with notes.attempt(f"培训项目“{demo.title}”"):
                course.full_clean()
                course.save()
            if course.pk is None:
                continue
        courses[demo.key] = course
    return courses


def _people(pool, index, demo, demo_trainee) -> list:
    """A deterministic slice of trainees for a class; the demo trainee joins two classes."""
    start = (index * 37) % max(len(pool) - demo.enrolments, 1)
    chosen = [
        pk
        for pk in pool[start : start + demo.enrolments]
        if demo_trainee is None or pk != demo_trainee.pk
    ]
    if demo_trainee is not None and demo.code in ("DEMO-001", "GY-2026-003"):
        chosen = [demo_trainee.pk, *chosen[: demo.enrolments - 1]]
    by_pk = Trainee.objects.in_bulk(chosen)
    return [by_pk[pk] for pk in chosen]  # in order: the demo trainee enrols first


def _seed_class(demo, course, staff, bureau, venue, people, *, region=None) -> None:
    """``region`` (a county code): where the class is held, if not at the venue or
    the institution's seat (demo.plan_history's classes)."""
    today = timezone.localdate()
    start = today + dt.timedelta(days=demo.start_in_days)
    cls = services.class_create(
        actor=staff,
        course=course,
        code=demo.code,
        capacity=demo.capacity,
        start_date=start,
        end_date=start + dt.timedelta(days=demo.days),
        venue=venue,
        region=Region.objects.get(code=region) if region else None,
    )
    path = PATHS.get(demo.status, ())
    for action in path[: path.index("open") + 1] if "open" in path else path:
        cls = _act(action, cls, staff, bureau)
    for trainee in people:
        services.enrolment_create(
            trainee=trainee,
            training_class=cls,
            source=EnrolmentSource.ROSTER,
            actor=staff,
        )
    for action in path[path.index("open") + 1 :] if "open" in path else ():
        cls = _act(action, cls, staff, bureau)
        if action == "start" and demo.status == ClassStatus.FINISHED:
            _record_results(cls, staff, demo)


def _act(action, cls, staff, bureau):
    if action == "approve":
        return services.class_approve(actor=bureau, training_class=cls)
    return getattr(services, f"class_{action}")(actor=staff, training_class=cls)


def _record_results(cls, staff, demo) -> None:
    hours = cls.course.hours
    enrolments = list(
        cls.enrolments.select_related("training_class__course").order_by("pk")
    )
    passing = round(len(enrolments) * demo.passes)
    for number, enrolment in enumerate(enrolments):
        if number < passing:
            attended, result, score = hours, AssessmentResult.PASSED, 75 + number % 25
        elif number < len(enrolments) - 2:
            attended, result, score = (
                hours * 0.9,
                AssessmentResult.FAILED,
                40 + number % 19,
            )
        else:  # too little attendance to sit the assessment
            attended, result, score = hours * 0.5, AssessmentResult.ABSENT, None
        services.attendance_record(
            actor=staff, enrolment=enrolment, hours=Decimal(str(attended))
        )
        services.assessment_record(
            actor=staff, enrolment=enrolment, result=result, score=score
        )


def demo_classes() -> list:
    """The demo classes as demo_info lists them."""
    classes = TrainingClass.objects.filter(
        code__in=[c.code for c in CLASSES]
    ).select_related("course__institution")
    return [
        {
            "code": cls.code,
            "course": cls.course.title,
            "institution": cls.course.institution.name,
            "status": cls.status,
            "capacity": cls.capacity,
            "seats_taken": cls.seats_taken,
            "enrol_url": f"/classes/{cls.code}/enrol/",
        }
        for cls in sorted(classes, key=lambda c: c.code)
    ]
