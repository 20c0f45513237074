"""manage.py import_deals FILE [--user USERNAME] [--dry-run]

Checks every row of the CSV/XLSX file and saves them all in one transaction through the deal
services (history "via import"); on any problem it prints one line per bad cell, saves nothing
and exits with status 1. See matching/pipeline/imports.py for the columns.
"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from catalog.management.file_import import run_file_import
from matching.pipeline.imports import deal_import
from tradeon.errors import DomainError


class Command(BaseCommand):
    help = "Import or change deals from a CSV or XLSX file: all rows, or none and a report."

    def add_arguments(self, parser):
        parser.add_argument("file", help="A .csv (UTF-8 or CP949) or .xlsx file; row 1 holds the column names.")
        parser.add_argument("--user", help="The staff member the history names as having made the changes.")
        parser.add_argument("--dry-run", action="store_true", help="Check every row, then save nothing.")

    def handle(self, *args, file, user, dry_run, **options):
        imported_by = None
        if user:
            imported_by = get_user_model().objects.filter(username=user).first()
            if imported_by is None:
                raise CommandError(f"No user is named {user!r}.")
        try:
            run_file_import(
                self, file, lambda handle: deal_import(file=handle, imported_by=imported_by, dry_run=dry_run)
            )
        except DomainError as error:
            raise CommandError(error.message) from None
