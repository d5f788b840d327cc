from django.core.management.base import BaseCommand

from wallet.audit import find_violations


class Command(BaseCommand):
    help = (
        "Check the ledger's invariants over the whole database. Lists each "
        "violation with the ids involved; exits 1 if there is any, 0 otherwise."
    )

    def handle(self, *args, **options):
        violations = find_violations()
        for violation in violations:
            self.stdout.write(str(violation))
        if violations:
            self.stderr.write(f"{len(violations)} violation(s) found.")
            raise SystemExit(1)
        self.stdout.write(self.style.SUCCESS("The ledger is consistent."))
