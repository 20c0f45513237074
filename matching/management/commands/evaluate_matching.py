"""manage.py evaluate_matching [--companies N] [--buyers N] [--seed S] [--k K] [--write-docs]

Measures the matcher against the baselines on planted-truth data (matching.planted) and prints
the table; --write-docs also writes it to docs/benchmarks.md.
"""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from matching.evaluation import (
    benchmarks_section,
    benchmarks_section_write,
    evaluation_table,
    matcher_beats_baselines,
    planted_evaluation,
)
from tradeon.demo_data import DEMO_BUYER_COUNT, DEMO_COMPANY_COUNT


class Command(BaseCommand):
    help = "Precision@k, recall@k, nDCG@10 and MRR of the matcher and its baselines on planted-truth data."

    def add_arguments(self, parser):
        parser.add_argument("--companies", type=int, default=DEMO_COMPANY_COUNT, help="SMEs to generate.")
        parser.add_argument("--buyers", type=int, default=DEMO_BUYER_COUNT, help="Buyers to generate.")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--k", type=int, default=10, help="Cut-off for precision and recall (20 is also shown).")
        parser.add_argument("--no-learning", action="store_true", help="Skip the learned-weights row.")
        parser.add_argument(
            "--write-docs", action="store_true", help='Write the table to docs/benchmarks.md ("Matching quality").'
        )

    def handle(self, *args, companies, buyers, seed, k, no_learning, write_docs, **options):
        if companies < 1 or buyers < 1 or k < 1:
            raise CommandError("--companies, --buyers and --k must be at least 1.")
        ks = tuple(sorted({k, 20}))
        self.stdout.write(f"Generating {companies:,} companies and {buyers:,} buyers (seed {seed}) and ranking ...")
        report = planted_evaluation(n_companies=companies, n_buyers=buyers, seed=seed, ks=ks, learn=not no_learning)
        self.stdout.write(
            f"{report.products:,} products; {report.buyers_with_truth:,} buyers with a good company; measured on "
            f"{report.held_out_buyers:,} held-out buyers ({report.held_out_pairs:,} good pairs) in {report.seconds:.1f} s."
        )
        ceiling = ", ".join(f"{name} {value:.3f}" for name, value in report.ceiling.items() if "precision" in name)
        self.stdout.write(f"A perfect ranking would score {ceiling} (buyers with fewer good companies than k).\n")
        self.stdout.write(evaluation_table(report))
        failures = matcher_beats_baselines(report)
        if failures:
            missed = ", ".join(f"{name} on {metric}" for name, metric in failures)
            self.stdout.write(self.style.WARNING(f"\nThe matcher does not beat: {missed}."))
        else:
            self.stdout.write(self.style.SUCCESS("\nThe matcher beats every baseline on every metric."))
        if write_docs:
            command = f"manage.py evaluate_matching --companies {companies} --buyers {buyers} --seed {seed} --k {k}"
            path = Path(settings.BASE_DIR) / "docs" / "benchmarks.md"
            benchmarks_section_write(benchmarks_section(report, command=command), path)
            self.stdout.write(f"Wrote {path}")
