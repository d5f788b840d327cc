import logging
import signal
import threading

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from licensing.scheduled import process_due

logger = logging.getLogger("licensing.worker")


class Command(BaseCommand):
    help = "Run the scheduled pass every minute until stopped with Ctrl+C or SIGTERM."

    def add_arguments(self, parser):
        parser.add_argument(
            "--interval", type=int, default=60, help="Seconds between the starts of two passes."
        )

    def handle(self, *args, interval: int, **options):
        stop = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())

        logger.info("Worker started; one pass every %s seconds", interval)
        while not stop.is_set():
            close_old_connections()
            try:
                report = process_due()
                logger.info(
                    "Pass done: %s renewals, %s ends, %s reminders, %s skipped, %s failed",
                    report.renewals, report.ends, report.reminders, report.skipped,
                    report.errors,
                )
            except Exception:
                logger.exception("Pass failed; the next one starts in %s seconds", interval)
            stop.wait(interval)
        logger.info("Worker stopped")
