from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from balie.core.jobs import QUEUES


class Command(BaseCommand):
    help = "Runs the Celery job worker (BALIE_JOBS_BACKEND=celery), with the periodic scheduler."

    def add_arguments(self, parser):
        parser.add_argument(
            "--queues", default=",".join(QUEUES), help=f"Queues to work on (default: all, {','.join(QUEUES)})."
        )
        parser.add_argument("--concurrency", type=int, default=2, help="Worker processes (default 2).")
        parser.add_argument(
            "--no-scheduler", action="store_true", help="Do not run the periodic scheduler (run it in one worker only)."
        )

    def handle(self, *args, queues, concurrency, no_scheduler, **options):
        if settings.BALIE_JOBS_BACKEND != "celery":
            raise CommandError(
                "balie worker is for BALIE_JOBS_BACKEND=celery; the embedded default runs jobs inside the web process."
            )
        from balie.celery import app

        argv = ["worker", "-Q", queues, "-c", str(concurrency), "-l", "info"]
        if not no_scheduler:
            argv.append("--beat")
        app.worker_main(argv)
