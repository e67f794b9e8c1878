"""``manage.py refresh_indicator_summary [--enqueue]``: recount the plan dashboard's
computed indicators into the summary now, or hand that to the task worker."""

import time

from django.core.management.base import BaseCommand

from monitoring.summary import summary_refresh
from monitoring.tasks import indicator_summary_refresh_task


class Command(BaseCommand):
    help = "刷新规划监测指标统计汇总（各区县、各年度）。"

    def add_arguments(self, parser):
        parser.add_argument(
            "--enqueue",
            action="store_true",
            help="交给后台任务执行（db_worker），不在本进程内统计。",
        )

    def handle(self, *args, enqueue=False, **options):
        if enqueue:
            result = indicator_summary_refresh_task.enqueue()
            self.stdout.write(f"已加入后台任务队列：{result.id}")
            return
        start = time.perf_counter()
        stored = summary_refresh()
        seconds = time.perf_counter() - start
        self.stdout.write(
            f"指标统计汇总已刷新：{len(stored)} 项指标，"
            f"{sum(stored.values())} 行，用时 {seconds:.1f} 秒。"
        )
