"""The RQ task backend for the background-task tests (``DJANGO_TASKS_BACKEND=rq
pytest -m tasks``): each enqueue goes through django-tasks-rq into Redis as in
production, then a real RQ ``SimpleWorker`` runs that one job in this process, and
the result is read back from Redis.

In-process, so the job sees the test's database transaction and its monkeypatches.
The worker takes the job it was given, not the head of the queue: tests running in
parallel on the same Redis never run each other's jobs.
"""

import django_rq
from django_tasks_rq import Job, RQBackend
from rq import SimpleWorker
from rq.timeouts import TimerDeathPenalty


class BurstWorker(SimpleWorker):
    # Signals (the default, SIGALRM) only work in the main thread.
    death_penalty_class = TimerDeathPenalty


class BurstRQBackend(RQBackend):
    def enqueue(self, task, args, kwargs):
        result = super().enqueue(task, args, kwargs)
        if task.run_after is not None:  # scheduled: left for a scheduler, as in RQ
            return result
        queue = django_rq.get_queue(task.queue_name, job_class=Job)
        job = Job.fetch(result.id, connection=queue.connection)
        queue.remove(job.id)
        worker = BurstWorker([queue], connection=queue.connection, job_class=Job)
        worker.register_birth()
        try:
            worker.execute_job(job, queue)
        finally:
            worker.register_death()
        return self.get_result(result.id)
