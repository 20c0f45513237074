"""manage.py import_catalogue {companies|products|buyers} FILE [--dry-run]

Checks the whole CSV/XLSX file, then saves every row in one transaction; on any problem it prints
one line per bad cell, saves nothing and exits with status 1.
"""

import sys
from functools import partial

from django.core.management.base import BaseCommand

from catalog.imports import KINDS, catalogue_import
from catalog.management.file_import import run_file_import


class Command(BaseCommand):
    help = "Import companies, products or buyers from a CSV or XLSX file: all rows, or none and a report."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=KINDS)
        parser.add_argument("file", help="A .csv (UTF-8 or CP949) or .xlsx file; row 1 holds the column names.")
        parser.add_argument("--dry-run", action="store_true", help="Check every row, then save nothing.")

    def handle(self, *args, kind, file, dry_run, verbosity, **options):
        from tqdm import tqdm

        # The bar goes to the terminal itself: self.stderr ends every write with a newline, which
        # would turn each redraw of the bar into a line of its own.
        progress = partial(tqdm, file=sys.stderr, disable=verbosity == 0, leave=False)
        run_file_import(
            self,
            file,
            lambda handle: catalogue_import(
                kind=kind, file=handle, imported_by=None, dry_run=dry_run, progress=progress
            ),
        )
