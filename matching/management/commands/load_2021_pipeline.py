"""`manage.py load_2021_pipeline`: load the real service's 2021 results (5 fairs, 204 buyers,
100 companies, 431 consultations, 856억원 of pipeline) into a database without deals yet; see
matching.pipeline.fixture_2021."""

import time

from django.core.management.base import BaseCommand, CommandError

from tradeon.accounts.models import Role, User


class Command(BaseCommand):
    help = (
        "Load the 2021 consultation fairs, their meetings, outcomes and deals (856억원 of pipeline) and the 2021 "
        "exchange rates. Refuses if deals, 2021 meetings or later exchange rates already exist."
    )

    def handle(self, *args, **options):
        from matching.pipeline import reports
        from matching.pipeline.fixture_2021 import REPORT_DATE, FixtureNotEmpty, build_2021_fixture

        started = time.monotonic()
        staff = User.objects.filter(role=Role.STAFF).order_by("id").first()
        try:
            fixture = build_2021_fixture(by=staff)
        except FixtureNotEmpty as refused:
            raise CommandError(f"Not loaded: {refused}. The 2021 figures are only exact in a database without them.")
        summary = reports.report_build(as_of=REPORT_DATE).summary
        self.stdout.write(
            self.style.SUCCESS(
                f"Loaded in {time.monotonic() - started:.1f} s: {summary.fairs_held} fairs held, "
                f"{summary.buyers_met} buyers met, {summary.companies_met} companies, "
                f"{summary.consultations_held} consultations, {len(fixture.deals)} deals; pipeline value "
                f"{summary.pipeline.eok_text} ({summary.pipeline.krw_text}, {summary.pipeline.usd_text}) as of "
                f"{REPORT_DATE:%Y-%m-%d}, of which signed {summary.signed.eok_text}."
            )
        )
        self.stdout.write("Staff see it at /pipeline/dashboard/ (rates at /pipeline/exchange-rates/).")
