from training_platform.audit.models import AuditEvent
from training_platform.clientip import client_ip


def audit_record(
    *, actor, action: str, obj, before=None, after=None, reason: str = "", request=None
) -> AuditEvent:
    """Append an audit event for ``obj`` (never holds plain personal data)."""
    return AuditEvent.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        before=before,
        after=after,
        reason=reason,
        client_ip=client_ip(request),
    )


def audit_record_many(
    *,
    actor,
    action: str,
    objects,
    before=None,
    after=None,
    reason: str = "",
    request=None,
) -> list[AuditEvent]:
    """One audit event per object in one INSERT (for set-based services)."""
    actor = actor if getattr(actor, "is_authenticated", False) else None
    ip = client_ip(request)
    events = [
        AuditEvent(
            actor=actor,
            action=action,
            object_type=obj._meta.label_lower,
            object_id=str(obj.pk),
            before=before(obj) if callable(before) else before,
            after=after(obj) if callable(after) else after,
            reason=reason,
            client_ip=ip,
        )
        for obj in objects
    ]
    return AuditEvent.objects.bulk_create(events, batch_size=500)


def status_change(
    *,
    obj,
    to,
    actor,
    action: str,
    field: str = "status",
    changes: dict | None = None,
    after: dict | None = None,
    reason: str = "",
    request=None,
    whole_row: bool = False,
):
    """Move ``obj.<field>`` to ``to`` (with ``changes``), save, and audit it.

    The event reads ``{field: old}`` → ``{field: to, **after}``. Only the changed
    columns are saved, unless ``whole_row`` (then ``full_clean()`` and a full save).
    The caller locks the row and checks the move is allowed. Returns ``obj``.
    """
    changes = changes or {}
    before = {field: getattr(obj, field)}
    setattr(obj, field, to)
    for name, value in changes.items():
        setattr(obj, name, value)
    if whole_row:
        obj.full_clean()
        obj.save()
    else:
        obj.save(update_fields=[field, *changes])
    audit_record(
        actor=actor,
        action=action,
        obj=obj,
        before=before,
        after={field: to, **(after or {})},
        reason=reason,
        request=request,
    )
    return obj
