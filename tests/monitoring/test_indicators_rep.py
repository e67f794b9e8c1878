"""The indicator query the home page's 有效证书 reads (c13-rep): certificates valid on
the day of the count, against hand-made records, and the same through indicator_rows."""

import datetime as dt

import pytest
from django.utils import timezone

from certificates.models import CertificateStatus
from monitoring import indicators
from monitoring.indicators import REGISTRY, roll_up
from monitoring.summary import indicator_rows
from tests.factories import CertificateFactory, InstitutionFactory, region
from training_platform.reference.models import CertificateKind, SkillLevel

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def certificate(code="520102", *, issued_on=dt.date(2023, 6, 1), **kw):
    return CertificateFactory(
        issuer=InstitutionFactory(region=region(code)), issued_on=issued_on, **kw
    )


def as_dict(rows):
    return {(r.region_code, r.year, r.key): int(r.value) for r in rows}


def test_certificates_valid_leaves_out_revoked_superseded_and_expired():
    certificate()  # training, no expiry
    certificate(
        kind=CertificateKind.SKILL_LEVEL,
        level=SkillLevel.LEVEL_3,
        expires_on=TODAY + dt.timedelta(days=1),
    )
    certificate(expires_on=TODAY)  # valid through today
    certificate(expires_on=TODAY - dt.timedelta(days=1))  # expired yesterday
    certificate(status=CertificateStatus.REVOKED, revoked_at=timezone.now())
    successor = certificate(issued_on=dt.date(2024, 1, 2))  # the reissue counts
    certificate(status=CertificateStatus.SUPERSEDED, superseded_by=successor)
    assert as_dict(indicators.certificates_valid()) == {
        ("520102", 2024, "training"): 1,
        ("520102", 2023, "training"): 2,
        ("520102", 2023, "skill_level"): 1,
    }
    # ``certificates`` (issued, not revoked or superseded) still counts the expired one.
    assert sum(r.value for r in indicators.certificates_by_kind_level()) == 5


def test_certificates_valid_by_year_and_rolled_up_to_the_province():
    certificate("520102", issued_on=dt.date(2022, 3, 1))
    certificate("520103", issued_on=dt.date(2023, 3, 1))
    certificate("520302", issued_on=dt.date(2023, 3, 1))
    rows = indicators.certificates_valid()
    assert as_dict(roll_up(rows, by="prefecture", keep_key=False)) == {
        ("520100", 2022, ""): 1,
        ("520100", 2023, ""): 1,
        ("520300", 2023, ""): 1,
    }
    assert as_dict(indicators.certificates_valid(by="province")) == {
        ("520000", 2022, "training"): 1,
        ("520000", 2023, "training"): 2,
    }
    assert as_dict(
        indicators.certificates_valid(regions="5201", year_from=2023, year_to=2023)
    ) == {("520103", 2023, "training"): 1}


def test_certificates_valid_is_registered_and_read_through_indicator_rows(
    django_assert_num_queries,
):
    assert REGISTRY["certificates_valid"] is indicators.certificates_valid
    with pytest.raises(ValueError):
        indicators.register("certificates_valid", lambda **kw: [])
    certificate()
    with django_assert_num_queries(2):  # is there a summary; then the live count
        computed = indicator_rows("certificates_valid", by="province")
    assert [(r.region_code, int(r.value)) for r in computed.rows] == [("520000", 1)]
