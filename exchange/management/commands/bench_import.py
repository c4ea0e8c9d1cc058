"""Time a bundle import into a new partnership, and a re-import of the same bundle.

    python manage.py bench_import [--referrals 100000] [--seed 1] [--bundle PATH] [--partnership SLUG]

Writes a synthetic bundle with ``generate_bundle`` (or takes ``--bundle``), imports it
into a new partnership (``--create``, as an admin's first import would), then imports it
again (every row already held: nothing is added), each exactly as ``import_bundle`` runs
it, and prints one line::

    import_bundle referrals=100000 first=... s second=... s rows=... peak_rss=... MB

``rows`` is every row the first import added (the files' rows, not counting history or
derived rows); ``peak_rss`` the process's peak resident memory over both imports (the
bundle's validation is what grows with the bundle). Everything it writes belongs to the
new partnership (``bench-import-<N>-<time>`` unless named): drop the benchmark database
afterwards. The figures and the load they were taken under: docs/performance.md.
"""

from __future__ import annotations

import resource
import tempfile
import time
from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from exchange.importer import import_bundle
from masip.bench import backend_cpu_seconds


class Command(BaseCommand):
    help = "Time an import of a synthetic bundle into a new partnership, and a re-import that adds nothing."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--referrals", type=int, default=100_000)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--bundle", default="", help="An existing bundle folder (else one is generated)")
        parser.add_argument("--partnership", default="", help="The new partnership's slug")

    def handle(self, *args: Any, **options: Any) -> None:
        referrals = options["referrals"]
        slug = options["partnership"] or f"bench-import-{referrals}-{int(time.time())}"
        with tempfile.TemporaryDirectory(prefix="masip-bench-import-") as scratch:
            bundle = Path(options["bundle"]) if options["bundle"] else Path(scratch) / "bundle"
            if not options["bundle"]:
                seed = options["seed"]
                call_command("generate_bundle", str(bundle), referrals=referrals, seed=seed, stdout=self.stderr)
            first, added = self._import(bundle, slug, create=f"Benchmark import {slug}")
            second, added_again = self._import(bundle, slug, create="")
        if added_again:
            raise CommandError(f"the re-import added {added_again:,} rows: it should add nothing")
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        self.stdout.write(
            f"import_bundle referrals={referrals} first={first:.1f} s second={second:.1f} s rows={added} "
            f"peak_rss={peak_mb:.0f} MB"
        )
        # CPU seconds depend much less on the machine's load than the wall clock: this
        # process's, and the database backend's when it runs on this machine.
        for label, cpu in (("first", self.cpu[0]), ("second", self.cpu[1])):
            self.stdout.write(f"# {label}: cpu={cpu[0]:.1f} s db_cpu={cpu[1]:.1f} s")

    def _import(self, bundle: Path, slug: str, *, create: str) -> tuple[float, int]:
        cpu_before, db_before = time.process_time(), backend_cpu_seconds()
        started = time.monotonic()
        last = [started, cpu_before, db_before]

        def step(message: str) -> None:
            # Each progress line with the seconds since the one before, wall clock and CPU
            # (this process's and the database backend's): where the time goes.
            now, cpu, db = time.monotonic(), time.process_time(), backend_cpu_seconds()
            self.stderr.write(
                f"  {now - started:7.2f} s (+{now - last[0]:6.2f} wall, +{cpu - last[1]:5.2f} cpu, "
                f"+{db - last[2]:5.2f} db) {message}"
            )
            last[:] = [now, cpu, db]

        result = import_bundle(
            source=bundle, partnership_slug=slug, create_name=create, label=str(bundle), progress=step
        )
        elapsed = time.monotonic() - started
        self.cpu = [*getattr(self, "cpu", []), (time.process_time() - cpu_before, backend_cpu_seconds() - db_before)]
        if result.errors:
            raise CommandError(f"the import was refused: {result.errors[0]} ({len(result.errors):,} errors)")
        return elapsed, sum(result.created.values())
