"""manage.py export_catalogue {companies|products|buyers} FILE [--format csv|xlsx]

Writes every company, product or buyer in the columns of the import, formula-safe.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from catalog.exports import catalogue_export
from catalog.imports import KINDS
from tradeon.tabular import FORMATS


class Command(BaseCommand):
    help = "Export companies, products or buyers to a CSV or XLSX file with the import's columns."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=KINDS)
        parser.add_argument("file", help="Where to write; the format follows the extension (.csv or .xlsx).")
        parser.add_argument("--format", choices=FORMATS, dest="fmt", help="Overrides the file's extension.")

    def handle(self, *args, kind, file, fmt, **options):
        path = Path(file)
        fmt = fmt or path.suffix.lower().lstrip(".")
        if fmt not in FORMATS:
            raise CommandError(f"Cannot tell the format from {path.name}; name it .csv or .xlsx, or pass --format.")
        export = catalogue_export(kind=kind, fmt=fmt, exported_by=None)
        try:
            path.write_bytes(export.content)
        except OSError as error:
            raise CommandError(f"Cannot write {file}: {error.strerror}.") from None
        self.stdout.write(self.style.SUCCESS(f"Wrote {kind} to {path} ({len(export.content):,} bytes)."))
