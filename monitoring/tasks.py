"""Background work for the plan dashboard (Django Tasks API): refreshing the summary
of computed indicators that ``monitoring.summary.indicator_rows`` serves.

Reading a summary older than ``MONITORING_SUMMARY_MAX_AGE`` queues it
(``summary_refresh_soon``); ``manage.py refresh_indicator_summary [--enqueue]`` runs or
queues it by hand (or from cron, to keep it warm); the ``db_worker`` runs it.
"""

import logging

from django_tasks import task

from monitoring.summary import summary_refresh

logger = logging.getLogger(__name__)


@task()
def indicator_summary_refresh_task() -> dict[str, int]:
    """Recount every registered indicator at county level into the summary."""
    stored = summary_refresh()
    logger.info("indicator summary refreshed: %s rows", sum(stored.values()))
    return stored
