"""Certificates for the verification benchmark, inserted set-based (see bench.verify)."""

import bisect
import datetime as dt
import itertools
import operator
import random
import secrets
import time

BATCH_SIZE = 10_000
COMMIT_EVERY = 100_000
SAMPLE_TOKENS = 20_000
FACT_PREFIX = "bench:"


def _plan():
    """(kind, basis, levels, share of certificates, has an issuer)."""
    from certificates.models import IssueBasis
    from training_platform.reference.models import CertificateKind

    plan = [
        (CertificateKind.SKILL_LEVEL, IssueBasis.EVALUATION, "54321", 0.50, True),
        (CertificateKind.TRAINING, IssueBasis.ASSESSMENT, "", 0.30, True),
        (CertificateKind.SPECIAL_ABILITY, IssueBasis.EVALUATION, "", 0.10, True),
        (CertificateKind.QUALIFICATION, IssueBasis.EVALUATION, "543", 0.05, True),
        (CertificateKind.COMPETITION, IssueBasis.AWARD, "", 0.05, False),
    ]
    return [(k.value, b.value, *rest) for k, b, *rest in plan]


def _grouped(batches, rows: int):
    """Lists of consecutive batches holding about ``rows`` rows (one transaction each)."""
    group, size = [], 0
    for batch in batches:
        group.append(batch)
        size += len(batch)
        if size >= rows:
            yield group
            group, size = [], 0
    if group:
        yield group


def seed_certificates(
    count: int,
    *,
    seed: int = 20261126,
    sample: int = SAMPLE_TOKENS,
    revoked_share: float = 0.02,
    superseded_share: float = 0.02,
    expiring_share: float = 0.35,
) -> dict:
    """Insert ``count`` certificates over the existing trainees and institutions.

    Set-based: each row is a dict of column values turned into a tuple in
    ``Certificate._meta`` column order (``operator.itemgetter``), with explicit ids so
    that a reissue and its original can point at each other; ``executemany`` in batches
    of ``BATCH_SIZE``, one transaction per ``COMMIT_EVERY`` rows. The table's secondary
    indexes (``CREATE INDEX`` ones, not the UNIQUE columns) are dropped for the load and
    recreated from their own SQL afterwards: building an index once is much faster than
    updating it a million times, and the schema ends up identical (the partial unique
    index on ``fact_key`` is checked when it is rebuilt).

    Returns counts per displayed status, the seconds taken, a sample of tokens (every
    n-th row, all statuses) and one token of each displayed status.
    """
    from django.db import connection, transaction
    from django.db.models import Max
    from django.utils import timezone

    from bases.models import TrainingInstitution
    from certificates.models import (
        Certificate,
        CertificateSeries,
        CertificateStatus,
        IssueBasis,
    )
    from certificates.numbering import format_number, number_prefix
    from trainees.models import Trainee
    from training_platform.reference.models import Occupation, Region

    rng = random.Random(seed)
    started = time.perf_counter()
    holders = [
        (t.pk, t.name, t.masked_id_number, t.id_number_hash)
        for t in Trainee.objects.only("pk", "name", "id_number", "id_number_hash")
    ]
    issuers = list(TrainingInstitution.objects.order_by("pk"))
    occupations = list(Occupation.objects.values_list("pk", "name"))
    if not (holders and issuers and occupations):
        raise RuntimeError("seed trainees, institutions and reference data first")
    province = Region.objects.get(pk="520000").pk
    # (pk, name, region, instance); competitions are issued by the province's committee.
    issuer_rows = [(i.pk, i.name, i.region_id, i) for i in issuers]
    no_issuer = (None, "贵州省职业技能大赛组委会", province, None)
    plan = _plan()
    bounds = list(itertools.accumulate(entry[3] for entry in plan))[:-1]

    fields = list(Certificate._meta.concrete_fields)
    attnames = [f.attname for f in fields]
    to_tuple = operator.itemgetter(*attnames)
    filled = {
        "id", "number", "token", "kind", "occupation_id", "occupation_name",
        "level", "trainee_id",
        "holder_name", "holder_id_masked", "holder_id_hash", "issuer_id",
        "issuer_name", "region_id", "issued_on", "expires_on", "basis", "fact_key",
        "basis_note", "status", "revoked_at", "revoked_reason", "replaces_id",
        "superseded_by_id", "superseded_at", "reissue_reason", "created_at",
    }  # fmt: skip
    unknown = filled - set(attnames)
    if unknown:
        raise RuntimeError(
            f"bench/verify/seed.py: Certificate has no {sorted(unknown)}"
        )
    defaults = {}  # columns the seed does not know about: their default, or NULL
    for f in fields:
        if f.attname in filled:
            continue
        if f.null:
            defaults[f.attname] = None
        elif f.has_default() or f.blank:
            defaults[f.attname] = f.get_db_prep_save(f.get_default(), connection)
        else:  # a new required column: the seed must learn about it
            raise RuntimeError(f"bench/verify/seed.py: set Certificate.{f.attname}")
    by_name = {f.attname: f for f in fields}

    today = timezone.localdate()
    date_cache: dict = {}
    moment_cache: dict = {}

    def date_value(day: dt.date) -> str:
        value = date_cache.get(day)
        if value is None:
            value = by_name["issued_on"].get_db_prep_save(day, connection)
            date_cache[day] = value
        return value

    def moment_value(day: dt.date):
        """An aware 10:00 local time on ``day``, as the database stores it."""
        value = moment_cache.get(day)
        if value is None:
            aware = timezone.make_aware(dt.datetime.combine(day, dt.time(10)))
            value = by_name["revoked_at"].get_db_prep_save(aware, connection)
            moment_cache[day] = value
        return value

    series = dict(CertificateSeries.objects.values_list("prefix", "last_serial"))
    prefixes: dict = {}

    def next_number(kind, issuer, level, year) -> str:
        key = (kind, issuer[0], level, year)
        prefix = prefixes.get(key)
        if prefix is None:
            prefix = number_prefix(kind=kind, issuer=issuer[3], level=level, year=year)
            prefixes[key] = prefix
        serial = series.get(prefix, 0) + 1
        series[prefix] = serial
        return format_number(prefix, serial)

    valid = CertificateStatus.VALID.value
    now_value = moment_value(today)
    next_id = (Certificate.objects.aggregate(m=Max("pk"))["m"] or 0) + 1
    step = max(1, count // max(sample, 1))
    tokens: list[str] = []
    examples: dict[str, str] = {}
    counts = dict.fromkeys(("valid", "expired", "revoked", "superseded"), 0)
    token_urlsafe = secrets.token_urlsafe
    random_ = rng.random
    days = [dt.timedelta(days=n) for n in range(3650)]
    three_years = dt.timedelta(days=365 * 3)

    def pick(seq):
        return seq[int(random_() * len(seq))]

    def row(*, kind, basis, level, holder, occupation, issuer, issued, expires, fact):
        nonlocal next_id
        pk = next_id
        next_id += 1
        return {
            **defaults,
            "id": pk,
            "number": next_number(kind, issuer, level, issued.year),
            "token": token_urlsafe(16),
            "kind": kind,
            "occupation_id": occupation[0],
            "occupation_name": occupation[1],
            "level": level,
            "trainee_id": holder[0],
            "holder_name": holder[1],
            "holder_id_masked": holder[2],
            "holder_id_hash": holder[3],
            "issuer_id": issuer[0],
            "issuer_name": issuer[1],
            "region_id": issuer[2],
            "issued_on": date_value(issued),
            "expires_on": date_value(expires) if expires else None,
            "basis": basis,
            "fact_key": fact or f"{FACT_PREFIX}{pk}",
            "basis_note": "",
            "status": valid,
            "revoked_at": None,
            "revoked_reason": "",
            "replaces_id": None,
            "superseded_by_id": None,
            "superseded_at": None,
            "reissue_reason": "",
            "created_at": now_value,
        }

    def batches():
        made = 0
        batch = []
        while made < count:
            kind, basis, levels, _share, has_issuer = plan[
                bisect.bisect_right(bounds, random_())
            ]
            issued = today - days[30 + int(random_() * 3620)]
            expires = issued + three_years if random_() < expiring_share else None
            common = {
                "kind": kind,
                "level": pick(levels) if levels else "",
                "holder": pick(holders),
                "occupation": pick(occupations),
                "issuer": pick(issuer_rows) if has_issuer else no_issuer,
            }
            values = row(
                basis=basis, issued=issued, expires=expires, fact=None, **common
            )
            emitted = [(values, expires)]
            state = random_()
            if state < superseded_share and made + 2 <= count:
                reissued = issued + days[1 + int(random_() * 29)]
                new_expires = max(expires, reissued) if expires else None
                reason = "证书信息更正"
                new = row(
                    basis=IssueBasis.REISSUE.value,
                    issued=reissued,
                    expires=new_expires,
                    fact=values["fact_key"],
                    **common,
                )
                new["replaces_id"] = values["id"]
                new["basis_note"] = reason
                values["status"] = CertificateStatus.SUPERSEDED.value
                values["superseded_by_id"] = new["id"]
                values["superseded_at"] = moment_value(reissued)
                values["reissue_reason"] = reason
                emitted.append((new, new_expires))
            elif state < superseded_share + revoked_share:
                values["status"] = CertificateStatus.REVOKED.value
                values["revoked_at"] = moment_value(
                    issued + days[1 + int(random_() * 29)]
                )
                values["revoked_reason"] = "培训记录不实"
            for vals, exp in emitted:
                status = vals["status"]
                if status == valid and exp is not None and exp < today:
                    status = "expired"
                counts[status] += 1
                examples.setdefault(status, vals["token"])
                if made % step == 0:
                    tokens.append(vals["token"])
                made += 1
                batch.append(to_tuple(vals))
            # A reissue and its original stay in one batch (one transaction).
            if len(batch) >= BATCH_SIZE:
                yield batch
                batch = []
        if batch:
            yield batch

    table = Certificate._meta.db_table
    qn = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608 - names from _meta
        qn(table),
        ", ".join(qn(f.column) for f in fields),
        ", ".join(["%s"] * len(fields)),
    )
    before = Certificate.objects.count()
    written = 0
    insert_seconds = index_seconds = 0.0
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size = -262144")  # 256 MiB for the index pages
        cursor.execute("PRAGMA threads = 2")  # index rebuilds may sort in parallel
        cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' "
            "AND tbl_name = %s AND sql IS NOT NULL",
            [table],
        )
        indexes = cursor.fetchall()
        for name, _sql in indexes:
            cursor.execute(f"DROP INDEX {qn(name)}")
        try:
            for group in _grouped(batches(), COMMIT_EVERY):
                with transaction.atomic():
                    for batch in group:
                        start = time.perf_counter()
                        cursor.executemany(sql, batch)
                        insert_seconds += time.perf_counter() - start
                        written += len(batch)
        finally:
            start = time.perf_counter()
            for _name, index_sql in indexes:
                cursor.execute(index_sql)
            index_seconds = time.perf_counter() - start
    CertificateSeries.objects.bulk_create(
        [CertificateSeries(prefix=p, last_serial=s) for p, s in series.items()],
        update_conflicts=True,
        unique_fields=["prefix"],
        update_fields=["last_serial"],
        batch_size=1000,
    )
    seconds = time.perf_counter() - started
    total = Certificate.objects.count()
    assert written == count == total - before, (written, count, total, before)
    return {
        "certificates": count,
        "seconds": seconds,
        "per_second": count / seconds if seconds else 0,
        "trainees": len(holders),
        "issuers": len(issuers),
        "number_prefixes": len(prefixes),
        "executemany_seconds": round(insert_seconds, 2),
        "index_rebuild_seconds": round(index_seconds, 2),
        "rebuilt_indexes": [name for name, _sql in indexes],
        "statuses": counts,
        "examples": examples,
        "tokens": tokens,
    }
