"""The plan period's history (issue 13): finished classes in all 9 prefectures, 2021–2025.

The plan dashboard measures 2021–2025, while the demo's own classes run around the day
it is built. So that a bureau opening the demo dashboard sees figures in every
prefecture and year, each prefecture gets a small finished (已结业) class a year, in
one or two of its counties, of the demo's own courses in turn (创业培训 among them), with 6–10
people of that prefecture (drawn by demo.people, like every demo trainee). Most who
pass get a skill-level certificate from the demo evaluation centre a few weeks after
the class ends, mostly 五级 and 四级, fewer 三级.

Everything goes through the same services as the demo's classes and certificates
(demo.courses, demo.certificates) on fixed dates and seeds. Classes are found by code:
once they all exist a run adds nothing; a class the rules refuse is skipped whole, with
a note.
"""

import datetime as dt
import itertools

from django.contrib.auth import get_user_model
from django.utils import timezone

from certificates import services as certificate_services
from courses.models import AssessmentResult, ClassStatus, Enrolment, TrainingClass
from demo.courses import COURSES, DemoClass, _courses, _seed_class
from demo.fixtures import demo_rng
from demo.people import demo_people
from demo.skips import SeedNotes
from trainees.models import Trainee, id_number_hash
from training_platform.reference.models import Occupation, SkillLevel

YEARS = range(2021, 2026)
# One class a year per prefecture keeps the seed quick: most of its cost is per class
# (the services' transitions and audit trail), whatever the class's size.
CLASSES_PER_YEAR = 1
PEOPLE_PER_PREFECTURE = 30
L5, L4, L3 = SkillLevel.LEVEL_5, SkillLevel.LEVEL_4, SkillLevel.LEVEL_3

# prefecture → (class code prefix, its counties, the demo courses run there in turn)
PREFECTURES = {
    "520100": ("GYH", ("520123", "520181"), ("electrician", "elder_care", "startup")),
    "520200": ("LPS", ("520201", "520204"), ("welder", "housekeeping")),
    "520300": ("ZYH", ("520328", "520304"), ("tea", "cook", "elder_care")),
    "520400": ("ASH", ("520402", "520422"), ("cook", "housekeeping")),
    "520500": ("BJH", ("520502", "520526"), ("elder_care", "electrician", "startup")),
    "520600": ("TRH", ("520602", "520624"), ("tea", "e_commerce")),
    "522300": ("QXN", ("522301", "522328"), ("cook", "e_commerce", "housekeeping")),
    "522600": ("QDN", ("522601", "522622"), ("housekeeping", "elder_care", "startup")),
    "522700": ("QNH", ("522701", "522702"), ("tea", "electrician", "housekeeping")),
}
# The certificate's level by the course's: mostly the course's own, some one above.
LEVEL_WEIGHTS = {
    L5: ((L5, L4), (85, 15)),
    L4: ((L5, L4, L3), (20, 62, 18)),
}
CERTIFIED_SHARE = 0.9  # of those who passed
MINIMUM_AGE = 18  # at the class's start: the history's trainees are adults


def history_classes() -> list[tuple[str, str, DemoClass, str]]:
    """Every history class as (prefecture, county, class, start date ISO); fixed."""
    today = timezone.localdate()
    keyed = {course.key: course for course in COURSES}
    out = []
    for prefecture, (prefix, counties, courses) in PREFECTURES.items():
        turn = itertools.cycle(courses)
        for year in YEARS:
            rng = demo_rng("plan_history", prefecture, year)
            for number in range(1, CLASSES_PER_YEAR + 1):
                course = keyed[next(turn)]
                month = 3 + (number - 1) * 4 + rng.randrange(3)
                start = dt.date(year, month, 1 + rng.randrange(25))
                days = max(7, min(course.hours // 6, 40))
                size = rng.randint(6, 10)
                out.append(
                    (
                        prefecture,
                        counties[(year + number) % len(counties)],
                        DemoClass(
                            code=f"{prefix}-{year}-H{number}",
                            course=course.key,
                            status=ClassStatus.FINISHED,
                            capacity=30,
                            start_in_days=(start - today).days,
                            days=days,
                            enrolments=size,
                            passes=0.85,
                        ),
                        start.isoformat(),
                    )
                )
    return out


def seed_plan_history(institutions: dict, notes: SeedNotes | None = None) -> None:
    """Create the history classes (and their people and certificates) not there yet."""
    notes = notes or SeedNotes()
    plan = history_classes()
    existing = set(
        TrainingClass.objects.filter(
            code__in=[demo.code for _, _, demo, _ in plan]
        ).values_list("code", flat=True)
    )
    if len(existing) == len(plan):
        return
    from demo.services import _seed_trainees  # demo.services calls this module

    people = {
        prefecture: list(
            demo_people(
                PEOPLE_PER_PREFECTURE,
                counties=counties,
                key=f"plan_history:{prefecture}",
            )
        )
        for prefecture, (_, counties, _) in PREFECTURES.items()
    }
    _seed_trainees(
        sum(len(group) for group in people.values()),
        people=itertools.chain.from_iterable(people.values()),
    )
    hashes = {
        prefecture: [id_number_hash(person.id_number) for person in group]
        for prefecture, group in people.items()
    }
    trainees = {
        t.id_number_hash: t
        for t in Trainee.objects.filter(
            id_number_hash__in=[h for group in hashes.values() for h in group]
        )
    }
    users = get_user_model().objects.in_bulk(
        ["admin", "bureau_gz", "inst_a", "inst_b", "evaluator"], field_name="username"
    )
    bureau = users.get("bureau_gz")
    courses = _courses(institutions, notes)
    keyed = {course.key: course for course in COURSES}
    occupations = Occupation.objects.in_bulk(
        list({course.occupation for course in COURSES})
    )
    for prefecture, county, demo, start in plan:
        if demo.code in existing:
            continue
        course = courses.get(demo.course)
        staff = users.get(keyed[demo.course].institution) or users.get("admin")
        if course is None or staff is None or bureau is None:
            notes.skip(f"培训班 {demo.code}", "培训项目或演示账号不存在")
            continue
        start_on = dt.date.fromisoformat(start)
        adults = [
            trainees[h]
            for h in hashes[prefecture]
            if h in trainees
            and _age_on(trainees[h].birth_date, start_on) >= MINIMUM_AGE
        ]
        rng = demo_rng("plan_history", demo.code)
        chosen = rng.sample(adults, min(demo.enrolments, len(adults)))
        with notes.attempt(f"培训班 {demo.code}"):
            # Held in the prefecture's county, not at the school's seat.
            _seed_class(demo, course, staff, bureau, None, chosen, region=county)
            _certify(demo, course, users.get("evaluator"), occupations, rng)


def _age_on(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def _certify(demo, course, evaluator, occupations, rng) -> None:
    """Skill-level certificates for most who passed, a few weeks after the class."""
    if evaluator is None or course.target_level not in LEVEL_WEIGHTS:
        return  # 创业培训 leads to no skill level
    occupation = occupations.get(course.occupation_id)
    if occupation is None:
        return
    levels, weights = LEVEL_WEIGHTS[course.target_level]
    passed = Enrolment.objects.filter(
        training_class__code=demo.code, result=AssessmentResult.PASSED
    ).select_related("trainee", "training_class")
    for enrolment in passed.order_by("pk"):
        if rng.random() >= CERTIFIED_SHARE:
            continue
        level = rng.choices(levels, weights)[0]
        certificate_services.certificate_issue_by_evaluation(
            actor=evaluator,
            trainee=enrolment.trainee,
            occupation=occupation,
            level=level,
            reason=f"培训班 {demo.code} 结业后参加职业技能等级认定，理论与操作技能考核均合格。",
            issued_on=enrolment.training_class.end_date
            + dt.timedelta(days=14 + rng.randrange(30)),
        )
