"""What the ``import_*`` management commands share: run an import from a file path,
print the summary as JSON, exit non-zero when the file (or the user) was refused."""

import io
import json

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from training_platform.imports.kinds import ImportKind


def import_file_command(
    command: BaseCommand,
    *,
    kind: ImportKind,
    target,
    path: str,
    actor=None,
    dry_run: bool = False,
) -> dict:
    """Import the xlsx at ``path`` into ``target``; the summary, also written out."""
    try:
        with open(path, "rb") as fh:
            # A copy in memory, as ``upload_run`` reads one: an import refused before
            # reading leaves a generator that rewinds the file when it is collected.
            fileobj = io.BytesIO(fh.read())
        summary = kind.run(
            target=target, rows=kind.read(fileobj), actor=actor, dry_run=dry_run
        )
    except OSError as exc:
        raise CommandError(f"无法读取文件：{exc.strerror}") from None
    except PermissionDenied as exc:
        summary = kind.refused([str(exc) or "没有权限。"])
    except ValidationError as exc:
        summary = kind.refused(exc.messages)
    command.stdout.write(json.dumps(summary, ensure_ascii=False))
    if summary["errors"]:
        raise CommandError(f"文件未导入：{len(summary['errors'])} 处错误")
    return summary
