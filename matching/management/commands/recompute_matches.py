"""`manage.py recompute_matches`: recompute pairings now, in this process, or queue it."""

import time

from django.core.management.base import BaseCommand, CommandError

from matching import services, tasks
from matching.models import ConsultationFair


class Command(BaseCommand):
    help = (
        "Recompute every pairing (and optionally the fairs' proposals) in this process, or --queue it on the workers."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--fair", type=int, action="append", default=[], help="Only this fair's proposals (repeatable)."
        )
        parser.add_argument("--fairs", action="store_true", help="Also recompute every fair's proposals.")
        parser.add_argument("--queue", action="store_true", help="Queue the work on the Celery workers instead.")

    def handle(self, *args, fair, fairs, queue, **options):
        fair_ids = list(fair)
        missing = set(fair_ids) - set(ConsultationFair.objects.filter(pk__in=fair_ids).values_list("pk", flat=True))
        if missing:
            raise CommandError(f"No consultation fair with id {', '.join(map(str, sorted(missing)))}.")
        if fairs:
            fair_ids += list(ConsultationFair.objects.exclude(pk__in=fair_ids).values_list("pk", flat=True))
        started = time.monotonic()
        if not fair or fairs:
            if queue:
                tasks.recompute_pairings.delay()
                self.stdout.write("Full recompute queued.")
            else:
                run = services.pairings_recompute_full_inline()
                self.stdout.write(f"Run {run.pk}: {run.pairings_written} pairings.")
        for fair_id in fair_ids:
            if queue:
                tasks.recompute_fair_pairings.delay(fair_id)
            else:
                run = services.pairings_recompute_fair(fair=ConsultationFair.objects.get(pk=fair_id))
                self.stdout.write(f"Fair {fair_id}: run {run.pk}, {run.pairings_written} proposed pairs.")
        self.stdout.write(self.style.SUCCESS(f"Done in {time.monotonic() - started:.1f} s."))
