"""The demo's 补贴标准 (domain.md §3), valid 2025-01-01 to 2026-12-31, province-wide.

技能提升补贴 follows the published caps: 初级 1000, 中级 1500, 高级 2000 元, once a year;
for 急需紧缺 occupations 1200 / 1800 / 2400 元 with 2 extra uses a year (the local notice
citing 黔财社〔2025〕52号).

DEMO VALUES: the 职业培训补贴 and 职业技能评价补贴 amounts below are invented for the
demonstration. Guizhou's amounts (黔财社〔2025〕52号) are not confirmed (domain.md §3),
which is why standards are edited on the 补贴标准 screen, never written in code.

Repeat-safe: a standard is looked up by its name and created only if missing; one a
user changed on the screen is left as it is, and one the screen's rules now refuse (an
overlapping standard entered by hand) is skipped with a note.
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction

from subsidies.models import PayeeKind, SubsidyKind, SubsidyStandard
from subsidies.standards import PROVINCE_CODE, standard_save
from training_platform.reference.models import CertificateKind, Occupation, SkillLevel

VALID_FROM = dt.date(2025, 1, 1)
VALID_TO = dt.date(2026, 12, 31)

#: A few 急需紧缺 occupations: 电工 and two digital ones (计算机程序设计员, 人工智能训练师).
SHORTAGE_OCCUPATIONS = ("6-31-01-03", "4-04-05-01", "4-04-05-05")

_LEVEL_NAMES = {
    SkillLevel.LEVEL_5: "初级",
    SkillLevel.LEVEL_4: "中级",
    SkillLevel.LEVEL_3: "高级",
}


@dataclass(frozen=True)
class DemoStandard:
    name: str
    kind: str
    payee: str
    certificate_kind: str
    level: str
    amount: Decimal
    uses_per_year: int = 3
    extra_uses_per_year: int = 0
    occupations: tuple[str, ...] = field(default=())


def _demo_standards() -> list[DemoStandard]:
    rows = []
    for level, general, shortage in (
        (SkillLevel.LEVEL_5, "1000.00", "1200.00"),
        (SkillLevel.LEVEL_4, "1500.00", "1800.00"),
        (SkillLevel.LEVEL_3, "2000.00", "2400.00"),
    ):
        grade = _LEVEL_NAMES[level]
        rows += [
            DemoStandard(
                name=f"技能提升补贴（{grade}）",
                kind=SubsidyKind.SKILL_UPGRADE,
                payee=PayeeKind.PERSON,
                certificate_kind=CertificateKind.SKILL_LEVEL,
                level=level,
                amount=Decimal(general),
                uses_per_year=1,
            ),
            DemoStandard(
                name=f"技能提升补贴·急需紧缺职业（{grade}）",
                kind=SubsidyKind.SKILL_UPGRADE,
                payee=PayeeKind.PERSON,
                certificate_kind=CertificateKind.SKILL_LEVEL,
                level=level,
                amount=Decimal(shortage),
                uses_per_year=1,
                extra_uses_per_year=2,
                occupations=SHORTAGE_OCCUPATIONS,
            ),
        ]
    # Demo values (Guizhou's amounts are not confirmed): paid to the institution.
    rows += [
        DemoStandard(
            name="职业培训补贴（培训合格证书）",
            kind=SubsidyKind.TRAINING,
            payee=PayeeKind.INSTITUTION,
            certificate_kind=CertificateKind.TRAINING,
            level="",
            amount=Decimal("600.00"),
        ),
        DemoStandard(
            name="职业培训补贴（专项职业能力证书）",
            kind=SubsidyKind.TRAINING,
            payee=PayeeKind.INSTITUTION,
            certificate_kind=CertificateKind.SPECIAL_ABILITY,
            level="",
            amount=Decimal("800.00"),
        ),
    ]
    for level, amount in (
        (SkillLevel.LEVEL_5, "1000.00"),
        (SkillLevel.LEVEL_4, "1400.00"),
        (SkillLevel.LEVEL_3, "1800.00"),
    ):
        rows.append(
            DemoStandard(
                name=f"职业培训补贴（职业技能等级证书·{_LEVEL_NAMES[level]}）",
                kind=SubsidyKind.TRAINING,
                payee=PayeeKind.INSTITUTION,
                certificate_kind=CertificateKind.SKILL_LEVEL,
                level=level,
                amount=Decimal(amount),
            )
        )
    # Demo values: 职业技能评价补贴 to the person assessed.
    for level, amount in (
        (SkillLevel.LEVEL_5, "150.00"),
        (SkillLevel.LEVEL_4, "200.00"),
        (SkillLevel.LEVEL_3, "300.00"),
    ):
        rows.append(
            DemoStandard(
                name=f"职业技能评价补贴（{_LEVEL_NAMES[level]}）",
                kind=SubsidyKind.EVALUATION,
                payee=PayeeKind.PERSON,
                certificate_kind=CertificateKind.SKILL_LEVEL,
                level=level,
                amount=Decimal(amount),
            )
        )
    return rows


DEMO_STANDARDS = _demo_standards()


def demo_standards_load(*, actor=None, notes=None) -> int:
    """Create the demo standards that are missing; returns how many were created.

    ``notes`` (demo.skips.SeedNotes) hears of a standard skipped because the screen's
    rules refuse it now.
    """
    existing = set(
        SubsidyStandard.objects.filter(
            name__in=[row.name for row in DEMO_STANDARDS]
        ).values_list("name", flat=True)
    )
    missing = [row for row in DEMO_STANDARDS if row.name not in existing]
    if not missing:
        return 0
    occupations = {
        o.code: o for o in Occupation.objects.filter(code__in=SHORTAGE_OCCUPATIONS)
    }
    created = 0
    for row in missing:
        listed = [occupations[c] for c in row.occupations if c in occupations]
        if row.occupations and not listed:
            if notes is not None:
                notes.skip(f"补贴标准“{row.name}”", "职业分类中没有所列职业")
            continue
        standard = SubsidyStandard(
            name=row.name,
            kind=row.kind,
            payee=row.payee,
            certificate_kind=row.certificate_kind,
            level=row.level,
            amount=row.amount,
            valid_from=VALID_FROM,
            valid_to=VALID_TO,
            region_id=PROVINCE_CODE,
            uses_per_year=row.uses_per_year,
            extra_uses_per_year=row.extra_uses_per_year,
        )
        try:
            with transaction.atomic():
                standard_save(standard=standard, occupations=listed, actor=actor)
        except ValidationError as exc:
            if notes is not None:
                notes.skip(f"补贴标准“{row.name}”", "；".join(exc.messages))
            continue
        created += 1
    return created
