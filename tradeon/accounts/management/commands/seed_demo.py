"""`manage.py seed_demo`: load the demo catalogue, buyers and logins (see tradeon.demo_data)."""

import time

from django.core.management.base import BaseCommand

from tradeon import demo_data


class Command(BaseCommand):
    help = (
        "Load deterministic demo data at the real service's scale: 502 SMEs, 2,226 products, 468 buyers, "
        "and the demo logins. Does nothing if companies exist, unless --reset."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--reset",
            action="store_true",
            help="First delete every company, product, buyer, sourcing request and SME/buyer login, and the demo staff login.",
        )

    def handle(self, *args, reset: bool = False, **options):
        if not reset and demo_data.demo_data_present():
            self.stdout.write("Demo data is already loaded (companies exist); nothing to do. Use --reset to reload it.")
            self._print_logins({})
            return
        started = time.monotonic()
        summary = demo_data.seed_demo(reset=reset, log=self.stdout.write)
        pairings = demo_data.demo_matching(log=self.stdout.write)
        demo_data.demo_fairs(log=self.stdout.write)
        deals = demo_data.demo_pipeline(log=self.stdout.write)
        self.stdout.write(
            self.style.SUCCESS(
                f"Loaded {summary.companies} companies, {summary.products} products, {summary.buyers} buyers and "
                f"{summary.sourcing_requests} sourcing requests, {len(demo_data.DEMO_FAIRS)} fairs, {pairings} "
                f"pairings and {deals} deals in {time.monotonic() - started:.1f} s."
            )
        )
        affiliations = {
            "sme": summary.sme_company,
            "buyer": summary.buyer_organisation,
            "newbuyer": summary.pending_buyer_organisation,
        }
        self._print_logins(affiliations)

    def _print_logins(self, affiliations: dict) -> None:
        self.stdout.write("\nDemo logins (username / password):")
        for login in demo_data.DEMO_LOGINS:
            where = f" - {affiliations[login.username]}" if login.username in affiliations else ""
            self.stdout.write(f"  {login.username:<9} / {login.password:<17} {login.who}{where}")
