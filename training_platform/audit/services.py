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
    *, actor, action: str, objects, after=None, reason: str = "", request=None
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
            after=after(obj) if callable(after) else after,
            reason=reason,
            client_ip=ip,
        )
        for obj in objects
    ]
    return AuditEvent.objects.bulk_create(events, batch_size=500)
