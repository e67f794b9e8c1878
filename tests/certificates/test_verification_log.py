"""The verification log writer: each row at once, or batched from a background thread."""

import time

import pytest

from certificates.models import VerificationLog
from certificates.verification_log import verification_log
from tests.certificates.test_verify import make_certificate


def verify(client, certificate, ip="192.0.2.10"):
    return client.get(f"/verify/{certificate.token}/", REMOTE_ADDR=ip)


@pytest.mark.django_db
def test_batched_rows_wait_for_the_flush(client, settings, monkeypatch):
    settings.CERTIFICATE_VERIFY_LOG_FLUSH_SECONDS = 1
    # No writer thread: this test flushes by hand.
    monkeypatch.setattr(verification_log, "_ensure_thread", lambda interval: None)
    certificate = make_certificate()
    try:
        for _ in range(3):
            assert verify(client, certificate).status_code == 200
        client.get("/verify/unknown/")
        assert not VerificationLog.objects.exists()
        assert verification_log.pending() == 4
        assert verification_log.flush() == 4
    finally:
        verification_log.flush()
    rows = list(VerificationLog.objects.order_by("id"))
    assert [r.outcome for r in rows] == ["valid"] * 3 + ["not_found"]
    assert rows[0].certificate == certificate and rows[0].client_ip == "192.0.2.10"
    assert rows[0].asked == certificate.token and rows[0].at is not None
    assert rows[3].certificate is None


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_writer_thread_flushes_and_stops(client, settings, reference):
    settings.CERTIFICATE_VERIFY_LOG_FLUSH_SECONDS = 1
    certificate = make_certificate()
    assert verify(client, certificate).status_code == 200
    assert verification_log.pending() == 1  # queued, not written by the request
    # The thread flushes, then ends (closing its connection) once nothing is queued.
    # Wait without touching the database: SQLite's shared in-memory test database
    # locks tables instead of waiting.
    deadline = time.monotonic() + 10
    while verification_log._thread is not None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert verification_log._thread is None
    assert verification_log.pending() == 0
    assert VerificationLog.objects.get().certificate_id == certificate.pk


@pytest.mark.django_db
def test_rows_are_kept_when_the_insert_fails(settings, monkeypatch):
    settings.CERTIFICATE_VERIFY_LOG_FLUSH_SECONDS = 1
    monkeypatch.setattr(verification_log, "_ensure_thread", lambda interval: None)
    certificate = make_certificate()
    from certificates.services import verification_record

    try:
        verification_record(
            channel="api", asked=certificate.token, certificate=None, outcome="valid"
        )
        monkeypatch.setattr(
            verification_log,
            "insert_sql",
            lambda conn: "INSERT INTO nowhere VALUES (1)",
        )
        with pytest.raises(Exception):  # noqa: B017, PT011 - any database error
            verification_log.flush()
        assert verification_log.pending() == 1
        monkeypatch.setattr(
            verification_log,
            "insert_sql",
            type(verification_log).insert_sql.__get__(verification_log),
        )
        assert verification_log.flush() == 1
    finally:
        verification_log.flush()
    assert VerificationLog.objects.get().asked == certificate.token
