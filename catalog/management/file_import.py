"""What the import commands share (import_catalogue, import_deals): open the file, run the import
on it and print its summary; for a rejected file, one line per problem on stderr and exit status 1."""

from collections.abc import Callable
from typing import Any, BinaryIO

from django.core.management.base import BaseCommand, CommandError

from catalog.imports import ImportRejected


def run_file_import(command: BaseCommand, file: str, run: Callable[[BinaryIO], Any]) -> None:
    """`run` takes the open file and returns the import's summary."""
    try:
        with open(file, "rb") as handle:
            summary = run(handle)
    except OSError as error:
        raise CommandError(f"Cannot open {file}: {error.strerror}.") from None
    except ImportRejected as rejected:
        for error in rejected.errors:
            command.stderr.write(str(error))
        if rejected.error_count > len(rejected.errors):
            command.stderr.write(f"... and {rejected.error_count - len(rejected.errors):,} more.")
        raise CommandError(rejected.message) from None
    command.stdout.write(command.style.SUCCESS(str(summary)))
