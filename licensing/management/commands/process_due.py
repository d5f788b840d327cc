from django.core.management.base import BaseCommand

from licensing.scheduled import process_due


class Command(BaseCommand):
    help = (
        "Make one pass over scheduled work: renewals, trial and grace period ends, "
        "and reminder emails due by now. Safe to run at any time, also by several workers."
    )

    def handle(self, *args, **options):
        report = process_due()
        self.stdout.write(
            f"Renewals written: {report.renewals}; ends recorded: {report.ends}; "
            f"reminders sent: {report.reminders}; skipped (done by another worker): "
            f"{report.skipped}; failed: {report.errors}"
        )
        if report.errors:
            raise SystemExit(1)
