"""Run with the production settings against the smoke database (tests/deploy): make what
the two-server test needs and print it as JSON.

``python -m tests.deploy.prepare <roster.xlsx> <rows>``: an API token of the demo
institution user ``inst_a``, an open class of that institution with room for ``rows``
people, a valid roster of ``rows`` people at ``<roster.xlsx>``, and the token of a
demo certificate.
"""

import datetime as dt
import json
import secrets
import sys


def main(path: str, rows: int) -> dict:
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.utils import timezone
    from openpyxl import Workbook

    from bases.models import StaffMembership
    from bases.tokens import api_token_create
    from certificates.models import Certificate
    from courses.models import ClassStatus, TrainingClass
    from courses.roster import COLUMNS
    from training_platform.reference.models import Region, RegionLevel
    from training_platform.validators import complete_id_number

    user = get_user_model().objects.get(username="inst_a")
    institution = (
        StaffMembership.objects.filter(user=user).select_related("institution").first()
    ).institution
    course = institution.courses.order_by("pk").first()
    today = dt.date.today()
    cls = TrainingClass.objects.create(
        code=f"SMOKE-{secrets.token_hex(3).upper()}",
        course=course,
        region=institution.region,
        start_date=today + dt.timedelta(days=7),
        end_date=today + dt.timedelta(days=37),
        capacity=rows + 10,
        status=ClassStatus.OPEN,
    )
    _token, plain = api_token_create(
        institution=institution,
        name=f"production smoke {cls.code}",
        expires_at=timezone.now() + dt.timedelta(days=1),
        actor=user,
    )
    counties = list(
        Region.objects.filter(level=RegionLevel.COUNTY, code__startswith="52").order_by(
            "code"
        )
    )
    book = Workbook(write_only=True)
    sheet = book.create_sheet("花名册")
    sheet.append([c.header for c in COLUMNS])
    base = dt.date(1970, 1, 1)
    for i in range(rows):
        county = counties[i % len(counties)]
        day, seq = divmod(i, 900)
        birth = base + dt.timedelta(days=day * 97)
        values = {
            "name": f"冒烟学员{i}",
            "id_number": complete_id_number(
                f"{county.code}{birth:%Y%m%d}{seq + 100:03d}"
            ),
            "phone": f"139{i:08d}",
            "household_region": county.name,
            "education": "",
            "key_groups": "",
        }
        sheet.append([values.get(c.key, "") for c in COLUMNS])
    book.save(path)
    certificate = Certificate.objects.filter(status="valid").order_by("pk").first()
    return {
        "api_token": plain,
        "class_id": cls.pk,
        "certificate_token": certificate.token,
        "certificate_number": certificate.number,
    }


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], int(sys.argv[2]))))  # noqa: T201
