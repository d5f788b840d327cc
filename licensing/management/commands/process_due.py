from django.core.management.base import BaseCommand

from licensing.scheduled import process_due


class Command(BaseCommand):
    help = "Make one pass over scheduled work: the renewals due by now. Safe to run at any time."

    def handle(self, *args, **options):
        report = process_due()
        self.stdout.write(
            f"Renewals written: {report.renewals}; skipped (held by another worker): "
            f"{report.skipped}; failed: {report.errors}"
        )
        if report.errors:
            raise SystemExit(1)
