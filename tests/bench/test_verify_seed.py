"""bench/verify/seed.py's certificate seed writes valid, verifiable certificates."""

import re
from collections import Counter

import pytest
from django.db import connection

from bench.verify.seed import FACT_PREFIX, seed_certificates
from certificates import selectors
from certificates.models import Certificate, CertificateSeries, CertificateStatus
from certificates.numbering import SERIAL_DIGITS, is_valid_number
from tests.factories import InstitutionFactory, TraineeFactory

pytestmark = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="the verification bench runs on SQLite"
)


@pytest.mark.django_db
def test_seed_writes_count_valid_certificates(reference):
    trainees = TraineeFactory.create_batch(5)
    InstitutionFactory.create_batch(2)
    indexes_before = _index_sql()

    result = seed_certificates(600, sample=50, revoked_share=0.1, superseded_share=0.1)

    certificates = list(Certificate.objects.all())
    assert len(certificates) == result["certificates"] == 600
    assert sum(result["statuses"].values()) == 600
    assert set(result["examples"]) == {"valid", "expired", "revoked", "superseded"}
    assert len(result["tokens"]) >= 50
    # The secondary indexes dropped for the load are back, exactly as they were.
    assert _index_sql() == indexes_before

    assert all(is_valid_number(c.number) for c in certificates)
    assert all(selectors.TOKEN_SHAPE.match(c.token) for c in certificates)
    assert len({c.token for c in certificates}) == 600
    originals = [c for c in certificates if c.replaces_id is None]
    assert len({c.fact_key for c in originals}) == len(originals)
    assert all(c.fact_key.startswith(FACT_PREFIX) for c in certificates)
    assert {c.trainee_id for c in certificates} <= {t.pk for t in trainees}
    holder = {t.pk: t for t in trainees}
    assert all(
        c.holder_name == holder[c.trainee_id].name
        and c.holder_id_hash == holder[c.trainee_id].id_number_hash
        for c in certificates
    )

    by_pk = {c.pk: c for c in certificates}
    for c in certificates:
        assert c.expires_on is None or c.expires_on >= c.issued_on
        if c.status == CertificateStatus.REVOKED:
            assert c.revoked_at and c.revoked_reason
        if c.status == CertificateStatus.SUPERSEDED:
            new = by_pk[c.superseded_by_id]
            assert new.replaces_id == c.pk and new.fact_key == c.fact_key
            assert new.trainee_id == c.trainee_id and new.issued_on >= c.issued_on

    # Later issuance continues after the seeded serials.
    used = Counter(c.number[:-SERIAL_DIGITS] for c in certificates)
    stored = dict(CertificateSeries.objects.values_list("prefix", "last_serial"))
    assert stored == dict(used)

    for status, token in result["examples"].items():
        found = selectors.certificate_by_token(token)
        assert found.display_status() == status


def _index_sql() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s",
            [Certificate._meta.db_table],
        )
        return {re.sub(r"\s+", " ", row[0] or "") for row in cursor.fetchall()}
