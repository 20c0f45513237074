"""API benchmark on PostgreSQL at 10^5 products: server time and SQL queries per request.

Run from the repository root: `.venv/bin/python bench/api.py` (or `make bench`). Reads
DATABASE_URL (default postgres://postgres@127.0.0.1:5432/tradeon_bench; the database is created
if missing), migrates, loads 20,000 companies and 100,000 products built from the demo
vocabularies (kept between runs; --reload rebuilds), then times in-process requests through
Django's full stack (middleware, URL routing, DRF token authentication, JSON rendering) and
writes the results to docs/benchmarks.md under "## API (bench/api.py)".
"""

import argparse
import os
import platform
import random
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from unittest import mock
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/tradeon_bench"
SECTION = "## API (bench/api.py)"
PAGE_TARGET = {"queries": 3, "p95_ms": 10.0}
SEARCH_TARGET = {"queries": 3, "p95_ms": 50.0}

SEARCHES = [
    "?q=cream&sector=beauty&certification=halal",
    "?q=크림",
    "?hs=3304&moq_max=1000",
    "?q=kimchi&certification=haccp",
    "?q=마스크&sector=medical",
    "?q=bluetooth+earbuds&moq_max=1000",
    "?q=thermometer&certification=fda",
    "?q=텀블러&sector=household",
    "?hs=902519",
    "?q=tumbler&seoul_award=true",
    "?sector=food&certification=halal&page=3",
    "?q=serum&page=2",
    "?q=진단키트",
    "?q=shampoo&sector=beauty&moq_max=500",
]


def ensure_database(url: str) -> None:
    """Create the benchmark database if it does not exist (connects to the `postgres` database)."""
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    maintenance = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            print(f"Creating database {name} ...")
            connection.execute(f'CREATE DATABASE "{name}"')


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tradeon.settings.test")
    # Persistent connections, as a deployment would run; the default 60 s would reconnect mid-run.
    os.environ.setdefault("DB_CONN_MAX_AGE", "600")
    import django

    django.setup()


def load_catalogue(*, companies: int, products: int, reload: bool) -> None:
    from django.db import connection

    from catalog.models import Company, Product, Sector
    from tradeon import demo_data

    if not reload and Company.objects.count() == companies and Product.objects.count() == products:
        print(f"Catalogue already loaded ({companies:,} companies, {products:,} products); --reload rebuilds it.")
        return
    started = time.monotonic()
    with connection.cursor() as cursor:
        # A database of its own: clearing every catalogue, buyer and user row is the point.
        cursor.execute(
            "TRUNCATE catalog_company, catalog_product, buyers_buyerorganisation, accounts_user RESTART IDENTITY CASCADE"
        )
    total = sum(demo_data.DEMO_COMPANIES_PER_SECTOR.values())
    per_sector = {code: n * companies // total for code, n in demo_data.DEMO_COMPANIES_PER_SECTOR.items()}
    per_sector["beauty"] += companies - sum(per_sector.values())
    sectors = {s.code: s for s in Sector.objects.filter(code__in=per_sector)}
    rng = random.Random(demo_data.SEED + 1)
    print(f"Building {companies:,} companies and {products:,} products ...")
    drafts = demo_data.build_companies(rng, per_sector=per_sector, sectors=sectors)
    demo_data.insert_catalogue(drafts, lambda: demo_data.build_products(rng, drafts, total=products), batch_size=5000)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    print(f"Loaded in {time.monotonic() - started:.0f} s.")


def bench_users():
    """A verified buyer (who browses the catalogue) with an API token."""
    from django.utils import timezone
    from rest_framework.authtoken.models import Token

    from buyers.models import BuyerOrganisation, VerificationState
    from tradeon.accounts.models import Role, User

    user = User.objects.filter(username="bench-buyer").first()
    if user is None:
        organisation = BuyerOrganisation.objects.create(
            name="Bench Beauty Trading Sdn Bhd",
            country="MY",
            city="Kuala Lumpur",
            buyer_type="distributor",
            time_zone="Asia/Kuala_Lumpur",
            verification_state=VerificationState.VERIFIED,
            reviewed_at=timezone.now(),
        )
        user = User.objects.create(username="bench-buyer", role=Role.BUYER, buyer_organisation=organisation)
    token, _ = Token.objects.get_or_create(user=user)
    return user, token.key


@dataclass
class Result:
    name: str
    path_example: str
    requests: int
    median_ms: float
    p95_ms: float
    queries_token: str
    queries_no_auth: str
    sql_ms: float
    target: dict

    @property
    def queries_met(self) -> bool:
        return max(int(q) for q in self.queries_token.split("-")) <= self.target["queries"]

    @property
    def time_met(self) -> bool:
        return self.p95_ms < self.target["p95_ms"]

    @property
    def met(self) -> bool:
        return self.queries_met and self.time_met


def _span(counts: list[int]) -> str:
    return str(min(counts)) if min(counts) == max(counts) else f"{min(counts)}-{max(counts)}"


def measure(
    name: str, paths: list[str], *, token: str, user, target: dict, warmup: int = 10, cold_counts: bool = False
) -> Result:
    """Time `paths` in turn. With `cold_counts`, the paginator's cache is a DummyCache, so every
    request counts its list afresh instead of reusing a remembered count
    (tradeon.pagination.LongListPaginator)."""
    if cold_counts:
        from django.core.cache.backends.dummy import DummyCache

        from tradeon import pagination

        with mock.patch.object(pagination, "cache", DummyCache("bench", {})):
            return measure(name, paths, token=token, user=user, target=target, warmup=warmup)
    from django.db import connection
    from django.test import RequestFactory
    from django.test.client import ClientHandler
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    # The request goes through Django's test handler, which the test Client uses too: the
    # handler, the middleware and the view, with the response closed as a WSGI server closes it.
    # The Client's own bookkeeping (template signals, cookies, attributes it adds to the response)
    # is left out: no server does it, and it ties each response into a reference cycle.
    handler, requests = ClientHandler(), RequestFactory(HTTP_AUTHORIZATION=f"Token {token}")
    forced = APIClient()
    forced.force_authenticate(user)
    for path in paths[:warmup]:
        assert handler(requests.get(path).environ).status_code == 200, path
    timings = []
    for path in paths:
        environ = requests.get(path).environ
        started = time.perf_counter()
        response = handler(environ)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (path, response.status_code, response.content[:300])
    # Query counts in a separate pass: capturing SQL costs time of its own.
    with_token, without_auth, sql_ms = [], [], []
    for path in sorted(set(paths))[:40]:
        with CaptureQueriesContext(connection) as captured:
            handler(requests.get(path).environ)
        with_token.append(len(captured))
        sql_ms.append(sum(float(q["time"]) for q in captured.captured_queries) * 1000)
        with CaptureQueriesContext(connection) as captured:
            forced.get(path)
        without_auth.append(len(captured))
    timings.sort()
    p95 = timings[max(0, int(round(0.95 * len(timings))) - 1)]
    return Result(
        name,
        paths[0],
        len(paths),
        statistics.median(timings),
        p95,
        _span(with_token),
        _span(without_auth),
        statistics.median(sql_ms),
        target,
    )


def machine_info() -> dict:
    from django.db import connection

    from tradeon.benchmarks_doc import cpu_model

    cpu = cpu_model()
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres = cursor.fetchone()[0]
    import django

    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "python": platform.python_version(),
        "django": django.get_version(),
        "postgres": postgres,
    }


def render(results: list[Result], info: dict, *, companies: int, products: int, visible: int, load: str) -> str:
    from tradeon.pagination import COUNT_CACHE_FROM, COUNT_CACHE_SECONDS

    lines = [
        SECTION,
        "",
        f"Measured {info['date']} on {info['nproc']} CPU(s), {info['cpu']}; Python {info['python']}, "
        f"Django {info['django']}, PostgreSQL {info['postgres']} on the same machine (TCP, trust auth). "
        f"Load average during the run: {load}.",
        "",
        f"Data: {companies:,} companies and {products:,} products ({visible:,} visible to a buyer: published products "
        "of published companies), built from the demo vocabularies (`tradeon/demo_data.py`); the search text and the "
        "listing copies (`is_listed`, the company's sector and award) filled as `catalog.services` writes them.",
        "",
        "Server time is measured in-process with Django's test handler (`django.test.client.ClientHandler`, what the "
        "test `Client` runs, without the Client's own bookkeeping), which closes each response as a WSGI server does: "
        "middleware, URL routing, DRF token authentication, the selector's SQL and JSON rendering; no network or ASGI "
        "server. The user is a verified "
        "buyer. Queries are counted with `CaptureQueriesContext`, with token authentication (the token lookup is one "
        "query) and with authentication forced (`force_authenticate`, no auth query); session authentication would "
        'cost two queries (session, user) instead of one. "SQL ms" is the median time of the request\'s queries as '
        "Django records it (1 ms resolution); the rest of the server time is Python (DRF serialisation, rendering).",
        "",
        f"A list's count is exact below {COUNT_CACHE_FROM:,} rows; from there on it is remembered per query for "
        f'{COUNT_CACHE_SECONDS} s (`tradeon.pagination`), so in the rows without "count not cached" all but the '
        "first request of a list reuse its count (one query fewer: the query columns show 2 instead of 3 for those). "
        'The "count not cached" rows run with the paginator\'s cache replaced by a dummy: each request counts '
        "afresh, as the first visitor after a minute does.",
        "",
        "| scenario | example request | requests | median ms | p95 ms | SQL ms | queries (token) | queries (no auth) "
        "| target | met |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    for r in results:
        target = f"<= {r.target['queries']} queries, p95 < {r.target['p95_ms']:.0f} ms"
        lines.append(
            f"| {r.name} | `{r.path_example}` | {r.requests} | {r.median_ms:.1f} | {r.p95_ms:.1f} | {r.sql_ms:.0f} "
            f"| {r.queries_token} | {r.queries_no_auth} | {target} "
            f"| queries {'yes' if r.queries_met else '**no**'}, time {'yes' if r.time_met else '**no**'} |"
        )
    lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--companies", type=int, default=20_000)
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200, help="requests per scenario")
    parser.add_argument("--reload", action="store_true", help="rebuild the catalogue even if it is loaded")
    parser.add_argument("--no-write", action="store_true", help="print the table; do not touch docs/benchmarks.md")
    parser.add_argument("--strict", action="store_true", help="exit with status 1 if a target is missed")
    args = parser.parse_args()

    url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit(f"bench/api.py measures PostgreSQL; DATABASE_URL is {url.split('://')[0]}://...")
    ensure_database(url)
    setup_django(url)

    from django.core.management import call_command

    print("Migrating ...")
    call_command("migrate", verbosity=0)
    from django.db import connection

    with connection.cursor() as cursor:
        # A migration that rewrites rows leaves stale statistics and an unset visibility map,
        # which would measure a state no running site is in for long.
        cursor.execute("VACUUM ANALYZE")
    load_catalogue(companies=args.companies, products=args.products, reload=args.reload)
    user, token = bench_users()

    from catalog.selectors import company_list, product_list

    visible_products = product_list(user=user).count()
    visible_companies = company_list(user=user).count()
    rng = random.Random(7)
    n = args.requests
    last_product_page = max(1, -(-visible_products // 50))
    last_company_page = max(1, -(-visible_companies // 50))
    scenarios = [
        ("products, pages 1-20", [f"/api/v1/products/?page={rng.randint(1, 20)}" for _ in range(n)], PAGE_TARGET),
        (
            "products, pages 1-20, count not cached",
            [f"/api/v1/products/?page={rng.randint(1, 20)}" for _ in range(n)],
            PAGE_TARGET,
        ),
        (
            "products, any page",
            [f"/api/v1/products/?page={rng.randint(1, last_product_page)}" for _ in range(n)],
            PAGE_TARGET,
        ),
        ("companies, pages 1-20", [f"/api/v1/companies/?page={rng.randint(1, 20)}" for _ in range(n)], PAGE_TARGET),
        (
            "companies, any page",
            [f"/api/v1/companies/?page={rng.randint(1, last_company_page)}" for _ in range(n)],
            PAGE_TARGET,
        ),
        (
            f"search with filters, the {len(SEARCHES)} below in turn",
            [f"/api/v1/products/{SEARCHES[i % len(SEARCHES)]}" for i in range(n)],
            SEARCH_TARGET,
        ),
        (
            f"search with filters, the {len(SEARCHES)} below in turn, counts not cached",
            [f"/api/v1/products/{SEARCHES[i % len(SEARCHES)]}" for i in range(n)],
            SEARCH_TARGET,
        ),
    ]
    load_before = os.getloadavg()[0]
    results = []
    for name, paths, target in scenarios:
        print(f"Measuring {name} ...")
        cold = "not cached" in name
        results.append(measure(name, paths, token=token, user=user, target=target, cold_counts=cold))
    per_search = max(20, n // len(SEARCHES))
    for query in SEARCHES:
        results.append(
            measure(
                "search, one query",
                [f"/api/v1/products/{query}"] * per_search,
                token=token,
                user=user,
                target=SEARCH_TARGET,
                warmup=3,
            )
        )

    load = f"{load_before:.2f} at the start, {os.getloadavg()[0]:.2f} at the end (1-minute)"
    info = machine_info()
    text = render(results, info, companies=args.companies, products=args.products, visible=visible_products, load=load)
    print()
    print(text)
    if not args.no_write:
        from tradeon.benchmarks_doc import benchmarks_section_replace

        benchmarks_section_replace(path=ROOT / "docs" / "benchmarks.md", heading=SECTION, text=text)
        print("Wrote docs/benchmarks.md")
    missed = [r for r in results if not r.met]
    if missed:
        print(f"{len(missed)} scenario(s) missed their target.")
    sys.exit(1 if missed and args.strict else 0)


if __name__ == "__main__":
    main()
