"""Re-encrypt every EncryptedTextField value under PII_ACTIVE_KEY_ID.

Run after adding a new key to PII_ENCRYPTION_KEYS and making it active; the old key can
leave the ring once this reports nothing left to do. Generic: it finds the encrypted
columns through the app registry and imports no app. Repeat-safe: rows already under the
active key are not touched.
"""

import json

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError
from django.db import connections, router, transaction

from training_platform import pii


def encrypted_fields(model) -> list:
    """The model's own (local, concrete) encrypted columns."""
    return [
        f
        for f in model._meta.local_concrete_fields
        if isinstance(f, pii.EncryptedTextField)
    ]


class Command(BaseCommand):
    help = "Re-encrypt every EncryptedTextField value under PII_ACTIVE_KEY_ID."

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch-size",
            type=int,
            default=500,
            help="Rows loaded and written per transaction (default 500).",
        )

    def handle(self, *args, batch_size, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        try:
            pii.encrypt("", purpose="")  # fails early on a misconfigured key ring
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from exc
        active = settings.PII_ACTIVE_KEY_ID
        summary = {}
        for model in apps.get_models():
            opts = model._meta
            if opts.proxy or not opts.managed:
                continue
            fields = encrypted_fields(model)
            if not fields:
                continue
            alias = router.db_for_write(model)
            stale = self._stale_pks(model, fields, active, alias)
            done = 0
            for start in range(0, len(stale), batch_size):
                done += self._reencrypt(
                    model, fields, stale[start : start + batch_size], alias
                )
            summary[opts.label] = done
        self.stdout.write(json.dumps(summary, ensure_ascii=False, sort_keys=True))

    def _stale_pks(self, model, fields, active, alias) -> list:
        """Primary keys of rows holding a value under a key other than the active one.

        Read with raw SQL: through the ORM the values arrive already decrypted.
        """
        connection = connections[alias]
        qn = connection.ops.quote_name
        opts = model._meta
        columns = ", ".join(qn(f.column) for f in fields)
        sql = f"SELECT {qn(opts.pk.column)}, {columns} FROM {qn(opts.db_table)}"  # noqa: S608
        stale = []
        with connection.cursor() as cursor:
            cursor.execute(sql)
            for pk, *values in cursor.fetchall():
                if any(v and pii.key_id_of(v) != active for v in values):
                    stale.append(pk)
        return sorted(stale)

    def _reencrypt(self, model, fields, pks, alias) -> int:
        names = [f.name for f in fields]
        with transaction.atomic(using=alias):
            rows = (
                model._base_manager.using(alias)
                .select_for_update()
                .filter(pk__in=pks)
                .only(*names)
            )
            try:
                objs = list(rows)
            except pii.DecryptionError as exc:
                raise CommandError(
                    f"{model._meta.label}: a value in rows {pks[0]}..{pks[-1]} cannot "
                    f"be decrypted with the keys in PII_ENCRYPTION_KEYS ({exc})."
                ) from exc
            # bulk_update writes through get_prep_value, which encrypts with the
            # active key; save() is not called, so no signals and no auto_now.
            model._base_manager.using(alias).bulk_update(objs, names)
        return len(objs)
