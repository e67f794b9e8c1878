"""The migrations that stop ID numbers being rebuildable, forwards and back (issue 9, item 2).

If the coordinator renumbers a migration, only the constants below change.
"""

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests.factories import CertificateFactory, TraineeFactory, make_id_number

TRAINEES = ("trainees", "0003_birth_year_instead_of_birth_date")
CERTIFICATES = ("certificates", "0002_holder_id_masked_two_and_two")

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _executor() -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    return executor


def _migrate(targets) -> MigrationExecutor:
    executor = _executor()
    executor.migrate(targets)
    return _executor()


def _parents(node) -> list:
    return sorted(p.key for p in _executor().loader.graph.node_map[node].parents)


def _latest():
    executor = _executor()
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_trainees_keep_the_birth_year_and_going_back_restores_the_dropped_columns(
    reference,
):
    numbers = [
        make_id_number("520102", dt.date(1988, 2, 29), seq=417),
        make_id_number("520302", dt.date(2004, 12, 31), seq=20),
    ]
    pks = [TraineeFactory(id_number=n).pk for n in numbers]
    (before,) = _parents(TRAINEES)
    try:
        executor = _migrate([before])
        Old = executor.loader.project_state([before]).apps.get_model(
            "trainees", "Trainee"
        )
        rows = {t.pk: t for t in Old.objects.filter(pk__in=pks)}
        for pk, number in zip(pks, numbers, strict=True):
            assert rows[pk].id_region_code == number[:6]
            assert rows[pk].birth_date.strftime("%Y%m%d") == number[6:14]
        # A row as the old code wrote it, to be carried forward.
        Old.objects.filter(pk=pks[1]).update(birth_date=dt.date(2004, 12, 31))
        executor = _migrate([TRAINEES])
        New = executor.loader.project_state([TRAINEES]).apps.get_model(
            "trainees", "Trainee"
        )
        years = dict(New.objects.filter(pk__in=pks).values_list("pk", "birth_year"))
        assert years == {pks[0]: 1988, pks[1]: 2004}
        columns = {
            c.name
            for c in connection.introspection.get_table_description(
                connection.cursor(), New._meta.db_table
            )
        }
        assert "birth_date" not in columns and "id_region_code" not in columns
    finally:
        _latest()


def test_certificates_are_remasked_two_and_two_and_back_where_the_number_is_known(
    reference,
):
    trainee = TraineeFactory(id_number=make_id_number("520102", dt.date(1990, 5, 17)))
    number = trainee.id_number
    kept = CertificateFactory(trainee=trainee)
    assert kept.holder_id_masked == number[:2] + "*" * 14 + number[-2:]
    # The holder's number changed after issue: the frozen hash no longer matches it.
    other = CertificateFactory(trainee=trainee, holder_id_hash="0" * 64)
    (before,) = _parents(CERTIFICATES)
    try:
        executor = _migrate([before])
        Old = executor.loader.project_state([before]).apps.get_model(
            "certificates", "Certificate"
        )
        masks = dict(Old.objects.values_list("pk", "holder_id_masked"))
        assert masks[kept.pk] == number[:4] + "*" * 10 + number[-4:]
        assert masks[other.pk] == number[:2] + "*" * 14 + number[-2:]
        executor = _migrate([CERTIFICATES])
        New = executor.loader.project_state([CERTIFICATES]).apps.get_model(
            "certificates", "Certificate"
        )
        masks = dict(New.objects.values_list("pk", "holder_id_masked"))
        assert masks == {
            kept.pk: number[:2] + "*" * 14 + number[-2:],
            other.pk: number[:2] + "*" * 14 + number[-2:],
        }
    finally:
        _latest()
