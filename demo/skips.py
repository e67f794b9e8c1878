"""Seeding that tolerates what users did to the demo data through the screens.

`make run` seeds every time it starts. Whatever state a user left the demo in (an
institution suspended, a class cancelled, a certificate revoked, a user deleted or
renamed), seeding creates only what is missing and skips, with a note, whatever the
rules now refuse — it never stops the start-up.
"""

from contextlib import contextmanager

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db import DatabaseError, transaction

# What the services and the database answer when the data no longer allows a step.
REFUSALS = (ValidationError, PermissionDenied, ObjectDoesNotExist, DatabaseError)


def _reason(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "；".join(exc.messages)
    return str(exc) or type(exc).__name__


class SeedNotes:
    """The steps skipped in one seeding run, written out as they happen."""

    def __init__(self, stdout=None):
        self.stdout = stdout
        self.items: list[str] = []

    def skip(self, what: str, reason: str) -> None:
        note = f"演示数据：跳过{what}（{reason}）"
        self.items.append(note)
        if self.stdout is not None:
            self.stdout.write(note)

    @contextmanager
    def attempt(self, what: str):
        """Run the block in a savepoint; on a refusal roll it back and note the skip."""
        try:
            with transaction.atomic():
                yield
        except REFUSALS as exc:
            self.skip(what, _reason(exc))
