"""Background work of subsidies (Django Tasks API). Others append their tasks here."""

from django_tasks import task

from subsidies.notice import notice_rounds_close


@task()
def notice_rounds_close_task() -> dict:
    """Close the notice periods that are over (daily; idempotent)."""
    return notice_rounds_close()
