"""The demo at province scale (issue 14): ``manage.py seed_demo --scale province``.

At ``fraction`` 1.0: Guizhou's 9 prefectures and 88 counties (the reference data),
~1,000 institutions with ~3,000 courses, 400,000 trainees, 1,000,000 enrolments in
~20,000 classes across 2021–2025 in every county, ~600,000 certificates in every state
(valid, expired, revoked with date and reason, superseded by a reissue), subsidy claims
in their states and the prefectures' yearly skills competitions. Every count scales
with ``fraction``.

The people are believable: names, mobile numbers and valid ID numbers whose first six
digits are the division code the county had at the birth date (demo.divisions), stored
encrypted with their blind index exactly as the app stores them. The occupations are
Guizhou's training trades — electricians, welders, elder care, housekeeping, cooks,
tea, baijiu, e-commerce, embroidery and batik, data analysts — and levels run from
many 五级/四级 to few 一级.

Rows go in set-based (demo.bulk: one executemany per batch of 10,000, no instances, no
signals), in one transaction. ``province_data`` writes the rows alone (bench/dashboard.py
times queries over them); ``province_seed`` first runs the small demo (its users, with
their scopes) and does nothing when the province data is there already.
"""

import bisect
import datetime as dt
import itertools
import random
from decimal import Decimal

from django.db import connection, transaction

from demo.bulk import bulk_insert
from demo.divisions import id_region_code
from demo.fixtures import demo_rng
from demo.people import GIVEN_FEMALE, GIVEN_MALE, GIVEN_YOUNG, MOBILE_SEGMENTS, SURNAMES

ENROLMENTS = 1_000_000
TRAINEES = 400_000
INSTITUTIONS = 1_000
COURSES_PER_INSTITUTION = 3
COMPETITIONS_PER_PREFECTURE_YEAR = 1
CERTIFICATES_PER_ENROLMENT = 0.6
CLASS_SIZE = 50
YEARS = (2021, 2022, 2023, 2024, 2025)
#: Class codes of the province data; one of them says the data is there.
CLASS_PREFIX = "SJ"
CERTIFICATE_PREFIX = "QJ"
BIRTH_FIRST = dt.date(1966, 1, 1)
BIRTH_LAST = dt.date(2006, 12, 31)

# Guizhou's training trades: (occupation code, weight, what a course is called).
OCCUPATIONS = (
    ("6-31-01-03", 12, "电工"),
    ("6-18-02-04", 8, "焊工"),
    ("4-10-01-05", 12, "养老护理员"),
    ("4-10-01-06", 10, "家政服务员"),
    ("4-03-02-01", 12, "中式烹调师"),
    ("4-03-02-07", 5, "茶艺师"),
    ("6-02-06-10", 5, "茶叶加工工"),
    ("6-02-06-03", 6, "白酒酿造工"),
    ("4-01-06-01", 8, "电子商务师"),
    ("4-01-06-02", 5, "互联网营销师"),
    ("6-09-03-11", 4, "苗绣（抽纱刺绣工）"),
    ("6-04-06-07", 3, "蜡染（工艺染织品制作工）"),
    ("4-07-02-05", 4, "商务数据分析师"),
    ("4-10-01-03", 3, "保育师"),
    ("4-12-01-01", 3, "汽车维修工"),
)
# Many 五级/四级, few 一级.
LEVELS = (("5", 36), ("4", 32), ("3", 20), ("2", 9), ("1", 3))
COURSE_KINDS = (
    ("employment", 40),
    ("upgrade", 25),
    ("work_for_training", 10),
    ("entrepreneurship", 10),
    ("special_ability", 10),
    ("apprenticeship", 5),
)
INSTITUTION_KINDS = (
    ("private_school", 60),
    ("vocational_school", 12),
    ("technical_school", 10),
    ("enterprise", 15),
    ("base_operator", 3),
)
BRANDS = (
    "鑫源",
    "华信",
    "黔秀",
    "匠心",
    "明德",
    "启航",
    "众诚",
    "恒达",
    "远志",
    "博雅",
    "天成",
    "新程",
    "立信",
    "育才",
    "德馨",
    "腾飞",
)
# Population (millions, 2020 census, rounded) of each prefecture: people per place.
PREFECTURE_WEIGHTS = {
    "5201": 60,
    "5202": 30,
    "5203": 66,
    "5204": 25,
    "5205": 69,
    "5206": 33,
    "5223": 30,
    "5226": 38,
    "5227": 35,
}
REVOKE_REASONS = ("考核记录不实", "冒名参加考核", "重复发证", "培训学时不足")
REISSUE_REASONS = ("证书遗失补发", "姓名更正", "证书污损换发")
# Claim states for the trainees who claimed, with weights.
CLAIM_STATES = (
    ("paid", 70),
    ("submitted", 5),
    ("under_review", 5),
    ("returned", 3),
    ("approved", 4),
    ("in_notice", 3),
    ("noticed", 2),
    ("rejected", 5),
    ("withdrawn", 3),
)
SKILL_UPGRADE_AMOUNTS = {"5": Decimal(1000), "4": Decimal(1500), "3": Decimal(2000)}


def _weighted(rng: random.Random, pairs, n: int) -> list:
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights, k=n)


def sizes(enrolments: int) -> dict:
    """Every count for ``enrolments`` (1,000,000 = the issue's sizes)."""
    scale = enrolments / ENROLMENTS
    n_trainees = max(CLASS_SIZE + 1, round(TRAINEES * scale))
    while n_trainees % 13 == 0 or n_trainees % 7919 == 0:
        n_trainees += 1  # enrolment j's person (j × 7919 mod n) differs within a class
    institutions = max(88, round(INSTITUTIONS * scale))
    return {
        "institutions": institutions,
        "courses": institutions * COURSES_PER_INSTITUTION,
        "classes": -(-enrolments // CLASS_SIZE),
        "trainees": n_trainees,
        "enrolments": enrolments,
        "certificates": round(enrolments * CERTIFICATES_PER_ENROLMENT),
        "claims": n_trainees // 4,
        "competitions": max(9, round(45 * scale)),
    }


def _people(n: int, counties: list) -> list:
    """``n`` believable people: (name, id number, phone, household, residence, education)."""
    rng = demo_rng("province", "people")
    prefectures = {}
    for code in counties:
        prefectures.setdefault(code[:4], []).append(code)
    keys = sorted(prefectures)
    homes = _weighted(rng, [(k, PREFECTURE_WEIGHTS.get(k, 30)) for k in keys], n)
    span = (BIRTH_LAST - BIRTH_FIRST).days + 1
    educations = _weighted(
        rng,
        (("junior", 30), ("primary", 10), ("senior", 30), ("college", 18)),
        n,
    )
    seen = set()
    people = []
    for i in range(n):
        county = rng.choice(prefectures[homes[i]])
        male = rng.random() < 0.52
        birth = BIRTH_FIRST + dt.timedelta(days=rng.randrange(span))
        code = id_region_code(county, birth)
        while True:
            first17 = (
                f"{code}{birth:%Y%m%d}{rng.randrange(1, 100):02d}"
                f"{rng.randrange(5) * 2 + (1 if male else 0)}"
            )
            if first17 not in seen:
                seen.add(first17)
                break
        surname = SURNAMES[min(int(rng.expovariate(1 / 14)), len(SURNAMES) - 1)]
        chars = GIVEN_MALE if male else GIVEN_FEMALE
        if birth.year >= 1995:
            chars += GIVEN_YOUNG
        given = rng.choice(chars) + (rng.choice(chars) if rng.random() < 0.7 else "")
        roll = rng.random()
        residence = (
            county
            if roll < 0.7
            else rng.choice(prefectures["5201"])
            if roll < 0.9
            else rng.choice(prefectures[homes[i]])
        )
        people.append(
            (
                surname + given,
                first17,
                f"1{rng.choice(MOBILE_SEGMENTS)}{rng.randrange(10**8):08d}",
                county,
                residence,
                educations[i],
            )
        )
    return people


def province_data(enrolments: int = ENROLMENTS, *, progress=None) -> dict:
    """Write the province-scale rows for ``enrolments`` enrolments (every other count
    follows, see ``sizes``); returns the counts. No demo users, no check for an
    earlier run: ``province_seed`` does that."""
    from bases.models import QualificationStatus, TrainingInstitution
    from certificates.models import Certificate, CertificateStatus, IssueBasis
    from competitions.models import (
        Competition,
        CompetitionClass,
        CompetitionLevel,
        CompetitionStatus,
        Entry,
        Event,
        Registration,
    )
    from courses.models import (
        AssessmentResult,
        ClassStatus,
        Course,
        CourseKind,
        Enrolment,
        EnrolmentSource,
        EnrolmentStatus,
        TrainingClass,
    )
    from subsidies.models import (
        AccountKind,
        Claim,
        ClaimStatus,
        FiledBy,
        PayeeKind,
        SubsidyKind,
        SubsidyStandard,
        payee_account_hash,
    )
    from trainees.models import Trainee, id_number_fields
    from training_platform import pii
    from training_platform.reference.models import (
        CertificateKind,
        Occupation,
        Region,
        RegionLevel,
    )
    from training_platform.validators import (
        complete_credit_code,
        complete_id_number,
        id_number_info,
    )

    size = sizes(enrolments)
    rng = demo_rng("province", "rows")
    regions = dict(
        Region.objects.filter(level=RegionLevel.COUNTY, code__startswith="52")
        .order_by("code")
        .values_list("code", "name")
    )
    counties = list(regions)
    prefectures = dict(
        Region.objects.filter(
            level=RegionLevel.PREFECTURE, code__startswith="52"
        ).values_list("code", "name")
    )
    occupation_names = dict(
        Occupation.objects.filter(
            code__in=[code for code, _w, _n in OCCUPATIONS]
        ).values_list("code", "name")
    )
    trades = [t for t in OCCUPATIONS if t[0] in occupation_names]

    def step(label):
        def report(_label, done, total):
            if progress is not None:
                progress(label, done, total)

        return report

    # --- institutions and courses: every county, a stride coprime with 88 -----------
    def county_of(i):
        return counties[(i * 37) % len(counties)]

    n_inst = size["institutions"]
    inst_kinds = _weighted(rng, INSTITUTION_KINDS, n_inst)

    def institution_name(i):
        county = county_of(i)
        brand = BRANDS[(i // len(counties)) % len(BRANDS)]
        extra = "" if i < len(counties) * len(BRANDS) else f"第{i}"
        kind = {
            "vocational_school": "职业学校",
            "technical_school": "技工学校",
            "enterprise": "实业有限公司",
            "base_operator": "公共实训基地",
        }.get(inst_kinds[i], "职业技能培训学校")
        return f"{regions[county]}{brand}{extra}{kind}"

    institution_ids = bulk_insert(
        TrainingInstitution,
        (
            {
                "name": institution_name(i),
                "credit_code": complete_credit_code(f"52{county_of(i)}PJ{i:07d}"),
                "kind": inst_kinds[i],
                "region_id": county_of(i),
                "contact_phone": f"0851{8000000 + i:07d}",
                "status": QualificationStatus.APPROVED,
            }
            for i in range(n_inst)
        ),
        total=n_inst,
        label="机构 institutions",
        progress=step("机构 institutions"),
    )
    n_classes = size["classes"]
    # Class c runs in year c mod 5, in the prefecture of block c // 5 (every
    # prefecture in the first 9 blocks, then by population), at that prefecture's
    # institutions in turn.
    by_prefecture: dict[str, list] = {}
    for i in range(n_inst):
        by_prefecture.setdefault(county_of(i)[:4], []).append(i)
    order = sorted(by_prefecture)
    order += [
        p
        for p in sorted(by_prefecture)
        for _ in range(round(PREFECTURE_WEIGHTS.get(p, 30) / 10))
    ]
    turns = dict.fromkeys(by_prefecture, 0)
    class_course = []
    for c in range(n_classes):
        prefecture = order[(c // len(YEARS)) % len(order)]
        turn = turns[prefecture]
        turns[prefecture] += 1
        insts = by_prefecture[prefecture]
        inst = insts[turn % len(insts)]
        class_course.append(
            inst + n_inst * ((turn // len(insts)) % COURSES_PER_INSTITUTION)
        )

    n_courses = size["courses"]
    course_trade = _weighted(rng, [(t, t[1]) for t in trades], n_courses)
    course_level = _weighted(rng, LEVELS, n_courses)
    course_kind = _weighted(rng, COURSE_KINDS, n_courses)
    # Every kind at least once, whatever the draw (a small fraction).
    for index, (kind, _w) in enumerate(COURSE_KINDS):
        course_kind[class_course[index * len(YEARS) % n_classes]] = kind
    course_hours = [
        {"entrepreneurship": 40, "special_ability": 40}.get(k, 80 + 40 * (lvl < "4"))
        for k, lvl in zip(course_kind, course_level, strict=True)
    ]
    course_ids = bulk_insert(
        Course,
        (
            {
                "institution_id": institution_ids[c % n_inst],
                "occupation_id": course_trade[c][0],
                "title": (
                    f"{course_trade[c][2]}"
                    f"{CourseKind(course_kind[c]).label}（{course_level[c]}级）"
                ),
                "target_level": course_level[c],
                "kind": course_kind[c],
                "hours": course_hours[c],
                "fee": Decimal(0),
                "subsidised": True,
            }
            for c in range(n_courses)
        ),
        total=n_courses,
        label="课程 courses",
        progress=step("课程 courses"),
    )

    # --- classes: across the years in every county ----------------------------------
    class_running = [
        YEARS[c % len(YEARS)] == YEARS[-1] and (c // len(YEARS)) % 2 == 1
        for c in range(n_classes)
    ]
    class_dates = []
    for c in range(n_classes):
        year = YEARS[c % len(YEARS)]
        start = dt.date(year, 1, 5) + dt.timedelta(days=(c * 7) % 320)
        class_dates.append((start, start + dt.timedelta(days=14 + c % 4 * 7)))

    def class_row(c):
        course = class_course[c]
        start, end = class_dates[c]
        return {
            "code": f"{CLASS_PREFIX}{start.year}-{c:07d}",
            "course_id": course_ids[course],
            "region_id": county_of(course % n_inst),
            "start_date": start,
            "end_date": end,
            "capacity": CLASS_SIZE,
            "status": ClassStatus.RUNNING if class_running[c] else ClassStatus.FINISHED,
        }

    class_ids = bulk_insert(
        TrainingClass,
        (class_row(c) for c in range(n_classes)),
        total=n_classes,
        label="培训班 classes",
        progress=step("培训班 classes"),
    )

    # --- trainees -------------------------------------------------------------------
    n_trainees = size["trainees"]
    people = _people(n_trainees, counties)
    hashes = []

    def trainee_row(person):
        name, first17, phone, household, residence, education = person
        number = complete_id_number(first17)
        birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
        fields = id_number_fields(id_number_info(number, birth))
        hashes.append(fields["id_number_hash"])
        return {
            "name": name,
            "phone": phone,
            "household_region_id": household,
            "residence_region_id": residence,
            "education": education,
            **fields,
        }

    trainee_ids = bulk_insert(
        Trainee,
        (trainee_row(p) for p in people),
        total=n_trainees,
        label="学员 trainees",
        progress=step("学员 trainees"),
    )
    masked = [pii.mask_id_number(complete_id_number(p[1])) for p in people]

    # --- enrolments: enrolment j is in class j // 50, person (j × 7919) mod n ------
    stride = 7919

    def trainee_of(j):
        return (j * stride) % n_trainees

    def withdrawn(j):
        return j % 37 == 36

    def enrolment_result(j):
        if class_running[j // CLASS_SIZE] or withdrawn(j):
            return ""
        roll = (j * 7) % 20
        return (
            AssessmentResult.PASSED
            if roll < 15
            else AssessmentResult.FAILED
            if roll < 19
            else AssessmentResult.ABSENT
        )

    def enrolment_row(j):
        c = j // CLASS_SIZE
        start, end = class_dates[c]
        hours = course_hours[class_course[c]]
        result = enrolment_result(j)
        row = {
            "trainee_id": trainee_ids[trainee_of(j)],
            "training_class_id": class_ids[c],
            "source": EnrolmentSource.ROSTER if j % 4 else EnrolmentSource.SELF,
            "status": EnrolmentStatus.WITHDRAWN
            if withdrawn(j)
            else EnrolmentStatus.ENROLLED,
            "attendance_hours": Decimal(hours - (j % 5) * 2 if result else 0),
        }
        if withdrawn(j):
            row["withdrawn_at"] = dt.datetime.combine(
                start, dt.time(9), tzinfo=dt.UTC
            ) + dt.timedelta(days=2)
        if result:
            row["result"] = result
            row["score"] = (
                Decimal(60 + j % 40) if result == AssessmentResult.PASSED else None
            )
            if result == AssessmentResult.FAILED:
                row["score"] = Decimal(30 + j % 30)
            row["assessed_at"] = dt.datetime.combine(end, dt.time(16), tzinfo=dt.UTC)
        return row

    enrolment_ids = bulk_insert(
        Enrolment,
        (enrolment_row(j) for j in range(enrolments)),
        total=enrolments,
        label="报名 enrolments",
        progress=step("报名 enrolments"),
    )

    # --- certificates: for passed enrolments; some revoked, some reissued -----------
    n_cert = size["certificates"]

    def reissues(n):  # certificates k < n superseded by a reissue (see below)
        return sum(1 for k in range(70, n, 71) if k % 67 != 66)

    # The largest n_main whose certificates and their reissues make n_cert.
    n_main = (
        bisect.bisect_right(range(n_cert + 1), n_cert, key=lambda n: n + reissues(n))
        - 1
    )
    passed = (
        j for j in range(enrolments) if enrolment_result(j) == AssessmentResult.PASSED
    )
    cert_enrolment = list(itertools.islice(passed, n_main))
    n_main = len(cert_enrolment)
    revoked_on = dt.datetime(2025, 6, 1, 10, tzinfo=dt.UTC)

    def cert_kind(course):
        kind = course_kind[course]
        if kind == "special_ability":
            return CertificateKind.SPECIAL_ABILITY
        if kind == "entrepreneurship":
            return CertificateKind.TRAINING
        return CertificateKind.SKILL_LEVEL

    def certificate(k):
        j = cert_enrolment[k]
        c = j // CLASS_SIZE
        course = class_course[c]
        inst = course % n_inst
        person = trainee_of(j)
        kind = cert_kind(course)
        issued = class_dates[c][1] + dt.timedelta(days=20 + k % 20)
        row = {
            "number": f"{CERTIFICATE_PREFIX}{issued.year}{k:09d}",
            "kind": kind,
            "occupation_id": course_trade[course][0],
            "occupation_name": occupation_names[course_trade[course][0]],
            "level": course_level[course]
            if kind == CertificateKind.SKILL_LEVEL
            else "",
            "trainee_id": trainee_ids[person],
            "holder_name": people[person][0],
            "holder_id_masked": masked[person],
            "holder_id_hash": hashes[person],
            "issuer_id": institution_ids[inst],
            "issuer_name": institution_name(inst),
            "region_id": county_of(inst),
            "issued_on": issued,
            # 专项职业能力 and training certificates are good for three years here.
            "expires_on": issued.replace(year=issued.year + 3, day=min(issued.day, 28))
            if kind != CertificateKind.SKILL_LEVEL
            else None,
            "basis": IssueBasis.ASSESSMENT,
            "fact_key": f"enrolment:{enrolment_ids[j]}:{kind}",
            "enrolment_id": enrolment_ids[j],
        }
        if k % 67 == 66:
            row["status"] = CertificateStatus.REVOKED
            row["revoked_at"] = max(
                revoked_on,
                dt.datetime.combine(issued, dt.time(10), tzinfo=dt.UTC)
                + dt.timedelta(days=30),
            )
            row["revoked_reason"] = REVOKE_REASONS[k % len(REVOKE_REASONS)]
        return row

    certificate_ids = bulk_insert(
        Certificate,
        (certificate(k) for k in range(n_main)),
        total=n_main,
        label="证书 certificates",
        progress=step("证书 certificates"),
    )
    # Reissues: certificate k (k mod 71 = 70) is superseded by a new one.
    reissued = [k for k in range(n_main) if k % 71 == 70 and k % 67 != 66]

    def reissue(k):
        row = certificate(k)
        old_id = certificate_ids[k]
        row.update(
            number=f"{CERTIFICATE_PREFIX}R{row['issued_on'].year}{k:09d}",
            issued_on=row["issued_on"] + dt.timedelta(days=120),
            basis=IssueBasis.REISSUE,
            replaces_id=old_id,
        )
        if row["expires_on"]:
            row["expires_on"] += dt.timedelta(days=120)
        return row

    successor_ids = bulk_insert(
        Certificate,
        (reissue(k) for k in reissued),
        total=len(reissued),
        label="换发 reissues",
        progress=step("换发 reissues"),
    )
    table = connection.ops.quote_name(Certificate._meta.db_table)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {table} SET status = %s, superseded_by_id = %s, "  # noqa: S608
            "superseded_at = %s, reissue_reason = %s WHERE id = %s",
            [
                (
                    CertificateStatus.SUPERSEDED,
                    new_id,
                    connection.ops.adapt_datetimefield_value(
                        dt.datetime.combine(
                            certificate(k)["issued_on"], dt.time(10), tzinfo=dt.UTC
                        )
                        + dt.timedelta(days=120)
                    ),
                    REISSUE_REASONS[k % len(REISSUE_REASONS)],
                    certificate_ids[k],
                )
                for k, new_id in zip(reissued, successor_ids, strict=True)
            ],
        )

    # --- subsidy claims: one in four people, on a skill-level certificate ----------
    province = Region.objects.get(code="520000")
    standards = {}
    for level, amount in SKILL_UPGRADE_AMOUNTS.items():
        standards[level] = SubsidyStandard.objects.create(
            name=f"技能提升补贴（{level}级，省级规模演示）",
            kind=SubsidyKind.SKILL_UPGRADE,
            payee=PayeeKind.PERSON,
            certificate_kind=CertificateKind.SKILL_LEVEL,
            level=level,
            amount=amount,
            valid_from=dt.date(2021, 1, 1),
            region=province,
        ).pk
    claimants = set()
    claim_rows = []
    states = _weighted(rng, CLAIM_STATES, size["claims"])
    for k in range(n_main):
        if len(claim_rows) >= size["claims"]:
            break
        j = cert_enrolment[k]
        course = class_course[j // CLASS_SIZE]
        level = course_level[course]
        person = trainee_of(j)
        if (
            cert_kind(course) != CertificateKind.SKILL_LEVEL
            or level not in standards
            or person in claimants
            or k % 67 == 66
        ):
            continue
        claimants.add(person)
        claim_rows.append((k, person, level, states[len(claim_rows)]))

    def claim(entry):
        k, person, level, state = entry
        cert = certificate(k)
        issued = cert["issued_on"]
        account = f"62220202{k:011d}"
        row = {
            "trainee_id": cert["trainee_id"],
            "occupation_id": cert["occupation_id"],
            "level": level,
            "basis_date": issued,
            "use_year": issued.year,
            "use_slot": 1,
            "region_id": cert["region_id"],
            "payee_name": cert["holder_name"],
            "account_kind": AccountKind.BANK,
            "payee_account": account,
            "payee_account_hash": payee_account_hash(account),
            "kind": SubsidyKind.SKILL_UPGRADE,
            "standard_id": standards[level],
            "amount": SKILL_UPGRADE_AMOUNTS[level],
            "certificate_id": certificate_ids[k],
            "filed_by": FiledBy.TRAINEE,
            "payee_kind": PayeeKind.PERSON,
            "status": state,
            "submitted_at": dt.datetime.combine(issued, dt.time(11), tzinfo=dt.UTC)
            + dt.timedelta(days=10),
        }
        if state in ("paid", "approved", "in_notice", "noticed", "rejected"):
            row["decided_at"] = row["submitted_at"] + dt.timedelta(days=15)
        if state == "rejected":
            row["decision_reason"] = "证书等级与申领等级不符"
        if state == "returned":
            row["decision_reason"] = "请补充社会保障卡复印件"
        if state == ClaimStatus.PAID:
            row["paid_on"] = issued + dt.timedelta(days=45)
            row["bank_reference"] = f"GZNX{issued:%Y%m%d}{k:09d}"
        return row

    claim_ids = bulk_insert(
        Claim,
        (claim(entry) for entry in claim_rows),
        total=len(claim_rows),
        label="补贴申领 claims",
        progress=step("补贴申领 claims"),
    )

    # --- competitions: each prefecture's yearly skills competition -----------------
    n_comp = size["competitions"]
    prefecture_codes = sorted(prefectures)
    competitions = []
    for n in range(n_comp):
        code = prefecture_codes[n % len(prefecture_codes)]
        year = YEARS[(n // len(prefecture_codes)) % len(YEARS)]
        round_no = n // (len(prefecture_codes) * len(YEARS)) + 1
        name = f"{prefectures[code]}{year}年职业技能大赛" + (
            f"（第{round_no}场）" if round_no > 1 else ""
        )
        competitions.append(
            Competition(
                name=name,
                level=CompetitionLevel.PREFECTURE,
                category=CompetitionClass.SECOND,
                year=year,
                region_id=code,
                organiser=f"{prefectures[code]}人力资源和社会保障局",
                venue=f"{prefectures[code]}公共实训基地",
                registration_opens=dt.date(year, 4, 1),
                registration_closes=dt.date(year, 5, 15),
                starts_on=dt.date(year, 6, 10),
                ends_on=dt.date(year, 6, 12),
                status=CompetitionStatus.REGISTRATION
                if year == YEARS[-1]
                else CompetitionStatus.SCORING,
            )
        )
    Competition.objects.bulk_create(competitions, batch_size=500)
    events = []
    for n, competition in enumerate(competitions):
        for e in range(3):
            code, _w, label = trades[(n + e * 5) % len(trades)]
            events.append(
                Event(
                    competition=competition,
                    name=label,
                    occupation_id=code,
                    level="3",
                    sort_order=e,
                )
            )
    Event.objects.bulk_create(events, batch_size=500)
    per_event = 20
    entries = []
    for n, event in enumerate(events):
        competition = competitions[n // 3]
        for e in range(per_event):
            person = (n * per_event + e) * 104_729 % n_trainees
            marked = competition.status == CompetitionStatus.SCORING
            entries.append((event, e, person, marked, competition.region_id))
    entry_ids = bulk_insert(
        Entry,
        (
            {
                "event_id": event.pk,
                "number": f"{e + 1:03d}",
                "delegation_region_id": people[person][3],
                "theory": Decimal(55 + (person * 3) % 45) if marked else None,
                "practical": Decimal(50 + (person * 7) % 50) if marked else None,
            }
            for event, e, person, marked, _region in entries
        ),
        total=len(entries),
        label="竞赛选手 entries",
        progress=step("竞赛选手 entries"),
    )
    bulk_insert(
        Registration,
        (
            {
                "entry_id": entry_ids[i],
                "event_id": event.pk,
                "trainee_id": trainee_ids[person],
            }
            for i, (event, _e, person, _m, _r) in enumerate(entries)
        ),
        total=len(entries),
        label="竞赛报名 registrations",
        progress=step("竞赛报名 registrations"),
    )
    return {
        "prefectures": len(prefectures),
        "counties": len(counties),
        "institutions": n_inst,
        "courses": n_courses,
        "classes": n_classes,
        "trainees": n_trainees,
        "enrolments": enrolments,
        "certificates": n_main + len(reissued),
        "revoked": sum(1 for k in range(n_main) if k % 67 == 66),
        "superseded": len(reissued),
        "claims": len(claim_ids),
        "paid_claims": sum(1 for entry in claim_rows if entry[3] == "paid"),
        "competitions": n_comp,
        "competition_entries": len(entries),
    }


def text_progress(stream, width: int = 30):
    """A ``progress`` callable drawing a plain-text bar on ``stream`` (stderr):
    ``[#########                     ] 30% 报名 enrolments 300,000/1,000,000``."""

    def show(label: str, done: int, total: int) -> None:
        share = done / total if total else 1.0
        filled = round(width * share)
        stream.write(
            f"\r[{'#' * filled}{' ' * (width - filled)}] {share:4.0%} "
            f"{label} {done:,}/{total:,}   "
        )
        if done >= total:
            stream.write("\n")
        stream.flush()

    return show


def province_exists() -> bool:
    from courses.models import TrainingClass

    return TrainingClass.objects.filter(code__startswith=CLASS_PREFIX).exists()


def province_seed(*, fraction: float = 1.0, progress=None) -> dict:
    """The small demo (its users and their scopes), then the province-scale rows at
    ``fraction`` of the issue's sizes (1.0: 1,000,000 enrolments).

    A second run is a no-op: when the province data is there (whatever fraction made
    it), nothing is written and the summary says ``"created": false``.
    ``progress(label, done, total)`` is called as each table fills.
    """
    if not 0 < fraction <= 1:
        raise ValueError("fraction must be in (0, 1]")
    from demo.services import demo_seed

    enrolments = max(CLASS_SIZE * 20, round(ENROLMENTS * fraction))
    demo = demo_seed()
    if province_exists():
        return {"scale": "province", "created": False, "demo": demo["created"]}
    with transaction.atomic():
        counts = province_data(enrolments, progress=progress)
        # Their public pages now, as the small demo gives its competition one: a
        # second run then finds nothing to add.
        from demo.competition_pages import seed_competition_pages
        from demo.skips import SeedNotes

        seed_competition_pages(SeedNotes())
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return {
        "scale": "province",
        "fraction": fraction,
        "created": True,
        **counts,
    }
