"""The public verification log: every verification, written at once or in batches."""

import atexit
import logging
import threading
import time

from django.conf import settings
from django.db import connection, transaction

from certificates.models import VerificationLog
from training_platform import sql

logger = logging.getLogger(__name__)

# Verification log rows held in memory at most while the database refuses them.
MAX_QUEUED_LOG_ROWS = 100_000


class VerificationLogWriter:
    """Writes verification log rows: at once, or in batches from a background thread.

    Every public verification is logged. Written one by one, each row is a transaction
    of its own, and on a busy public endpoint those commits (and, on SQLite, the wait
    for the write lock) cost more than the rest of the answer. With
    ``CERTIFICATE_VERIFY_LOG_FLUSH_SECONDS`` > 0 rows are queued in memory and inserted
    together at that interval (and at exit); a crash can lose the rows of that last
    interval. 0 writes each row before the answer is sent.
    """

    COLUMNS = (
        "at",
        "channel",
        "asked",
        "certificate",
        "outcome",
        "signature",
        "client_ip",
    )

    def __init__(self):
        self._rows: list[tuple] = []
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._sql: dict[str, str] = {}

    def insert_sql(self, conn) -> str:
        if conn.vendor not in self._sql:
            insert = sql.Insert(VerificationLog, self.COLUMNS, connection=conn)
            self._sql[conn.vendor] = insert.sql
        return self._sql[conn.vendor]

    def row(self, *, at, channel, asked, certificate_id, outcome, signature, ip):
        ops = connection.ops
        return (
            ops.adapt_datetimefield_value(at),
            channel,
            asked,
            certificate_id,
            outcome,
            signature,
            ops.adapt_ipaddressfield_value(ip),
        )

    def write(self, row: tuple) -> None:
        interval = settings.CERTIFICATE_VERIFY_LOG_FLUSH_SECONDS
        if interval <= 0:
            with connection.cursor() as cursor:
                cursor.execute(self.insert_sql(connection), row)
            return
        with self._lock:
            self._rows.append(row)
            self._ensure_thread(interval)

    def _ensure_thread(self, interval: float) -> None:
        """Start the writer thread unless it runs (call with the lock held)."""
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(
                target=self._run, args=(interval,), name="verification-log", daemon=True
            )
            self._thread.start()

    def pending(self) -> int:
        return len(self._rows)

    def flush(self) -> int:
        """Insert every queued row now (in this thread's connection); how many."""
        with self._lock:
            rows, self._rows = self._rows, []
        if rows:
            try:
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.executemany(self.insert_sql(connection), rows)
            except Exception:
                with self._lock:  # keep them for the next attempt, within a bound
                    self._rows[:0] = rows
                    del self._rows[: max(len(self._rows) - MAX_QUEUED_LOG_ROWS, 0)]
                raise
        return len(rows)

    def _run(self, interval: float) -> None:
        # Runs while rows keep coming; when a flush leaves nothing queued the thread
        # ends and closes its connection (a later write starts a new one).
        try:
            while True:
                time.sleep(interval)
                try:
                    self.flush()
                except Exception:  # keep serving; the rows wait for the next try
                    logger.exception("Could not write verification log rows yet.")
                with self._lock:
                    if not self._rows:
                        self._thread = None
                        return
        finally:
            connection.close()


verification_log = VerificationLogWriter()
atexit.register(lambda: verification_log.pending() and verification_log.flush())
