"""Certificate numbers: the national format for skill-level certificates, our own for others.

职业技能等级证书 (22 characters, ``^[YS]\\d{21}$``, see the reference domain notes)::

    S 0000 52 000123 26 4 000001
    | |    |  |      |  | serial within the site, year and level (6 digits)
    | |    |  |      |  level digit (1 高级技师 … 5 初级工)
    | |    |  |      year issued (YY)
    | |    |  site sequence: here the issuing organisation's id in this system (6 digits)
    | |    province: 52 = 贵州
    | organisation code: 0000 = filed with the province
    organisation type: Y 用人单位 (enterprise) / S 社会培训评价组织 (everyone else)

Every other kind (18 characters, ``^(PX|ZX|JS|ZG)52\\d{14}$``)::

    PX 52 26 000123 000001
    |  |  |  |      serial within the prefix (6 digits)
    |  |  |  issuing organisation id (000000 when there is none, e.g. a competition)
    |  |  year issued (YY)
    |  province
    kind: PX 培训合格证书, ZX 专项职业能力证书, JS 竞赛获奖证书, ZG 职业资格证书

Serials come from one row per prefix, incremented with a single UPDATE inside the
issuing transaction: concurrent issuers queue on that row and never share a serial.
"""

import re

from django.core.exceptions import ValidationError
from django.db.models import F

from bases.models import InstitutionKind
from certificates.models import CertificateSeries
from training_platform.reference.models import CertificateKind, SkillLevel

PROVINCE = "52"
PROVINCIAL_ORG_CODE = "0000"
SERIAL_DIGITS = 6
MAX_SERIAL = 10**SERIAL_DIGITS - 1

SKILL_LEVEL_NUMBER = re.compile(r"[YS][0-9]{21}")
OTHER_NUMBER = re.compile(r"(PX|ZX|JS|ZG)52[0-9]{14}")

KIND_PREFIX = {
    CertificateKind.TRAINING: "PX",
    CertificateKind.SPECIAL_ABILITY: "ZX",
    CertificateKind.COMPETITION: "JS",
    CertificateKind.QUALIFICATION: "ZG",
}
NUMBERED_LEVELS = {"1", "2", "3", "4", "5"}


MAX_ISSUER_ID = 999_999


def number_prefix(*, kind: str, issuer, level: str, year: int) -> str:
    """Everything of the number before the serial."""
    yy = f"{year % 100:02d}"
    if issuer is not None and issuer.pk > MAX_ISSUER_ID:
        # Six digits hold the site sequence; a longer id would break the format.
        raise ValidationError(
            "发证机构编号超出证书编号格式的范围，请联系管理员分配站点序列码。",
            code="issuer_out_of_range",
        )
    if kind == CertificateKind.SKILL_LEVEL:
        if issuer is None:
            raise ValidationError(
                "职业技能等级证书必须由评价机构签发。", code="no_issuer"
            )
        if level not in NUMBERED_LEVELS:
            raise ValidationError(
                "职业技能等级证书须为一至五级（%(level)s 的编号格式未定）。",
                code="level_unnumbered",
                params={"level": SkillLevel(level).label if level else "无等级"},
            )
        org_type = "Y" if issuer.kind == InstitutionKind.ENTERPRISE else "S"
        return f"{org_type}{PROVINCIAL_ORG_CODE}{PROVINCE}{issuer.pk:06d}{yy}{level}"
    issuer_part = f"{issuer.pk:06d}" if issuer is not None else "000000"
    return f"{KIND_PREFIX[kind]}{PROVINCE}{yy}{issuer_part}"


def reserve_serials(prefix: str, count: int) -> range:
    """``count`` consecutive serials under ``prefix``; call inside the issuing transaction."""
    CertificateSeries.objects.get_or_create(prefix=prefix)
    # The UPDATE takes the row lock (PostgreSQL) or the write lock (SQLite) before the
    # read, so two issuers can never read the same value.
    CertificateSeries.objects.filter(prefix=prefix).update(
        last_serial=F("last_serial") + count
    )
    last = CertificateSeries.objects.values_list("last_serial", flat=True).get(
        prefix=prefix
    )
    if last > MAX_SERIAL:
        raise ValidationError(
            "证书编号 %(prefix)s 的序列号已用完。",
            code="serial_exhausted",
            params={"prefix": prefix},
        )
    return range(last - count + 1, last + 1)


def format_number(prefix: str, serial: int) -> str:
    return f"{prefix}{serial:0{SERIAL_DIGITS}d}"


def is_valid_number(number: str) -> bool:
    return bool(SKILL_LEVEL_NUMBER.fullmatch(number) or OTHER_NUMBER.fullmatch(number))
