"""A bundle import's memory: what is held, and every file's rows, are read a batch at a time,
and what is kept of every row (ids by ref) is in temporary tables, not in the process.

Each bundle is imported, checked (a dry run: every row compared with what is held, and the
access log names every held record it was compared with), then imported again (every row
already held: compared, nothing written), in a process of its own, whose peak resident memory is what it reports: a
process's peak never goes down, so two imports in one test process could not be told apart.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from tests.workers import ROOT, database_url_for

IMPORT_TWICE = """
import re, sys
import django
django.setup()
from exchange import exporter, importer, validation

# Batches of 1,000 rows, not 5,000: what a batch holds is then small, and both bundles fill
# many, so that what is left to compare is what grows with the bundle itself.
importer.BATCH = validation.STAGE_BATCH = validation.COMPARE_BATCH = exporter.CHUNK = int(sys.argv[3])
source, slug = sys.argv[1], sys.argv[2]
for create, dry_run in ((f"Memory {slug}", False), ("", True), ("", False)):
    result = importer.import_bundle(source=source, partnership_slug=slug, create_name=create, dry_run=dry_run)
    assert result.ok, result.errors[:5]
# VmHWM, not getrusage's ru_maxrss: a forked child starts with its parent's peak (the test
# process's), while the high-water mark of its own memory starts afresh at exec.
with open("/proc/self/status") as status:
    print(int(re.search(r"VmHWM:\\s+(\\d+) kB", status.read()).group(1)) // 1024)
"""

SMALL, LARGE = 5_000, 20_000
BATCH = 1_000
# Measured (MB of peak RSS over an import, a dry run and a re-import, batches of 1,000 rows;
# docs/performance.md, "Import peak memory"): 99 at 5,000 referrals and 111 at 20,000 while
# the dry run's access log was a list of every held record's id, built in the process, and
# the import's a list of every new case's id as text; 95 and 96 since the ids go from a
# temporary table (or a temporary file) straight into the log's insert. (Before that, 100
# and 114 over an import and a re-import alone, while the held ids were dictionaries by ref.)
# What still grows is free memory the allocators keep, not what the import holds. The bound:
# 3 MB above today's growth, for the allocators' variation from run to run.
MAX_GROWTH_MB = 4


def _peak_rss_mb(bundle: Path, slug: str) -> int:
    env = dict(os.environ)
    env["DJANGO_SETTINGS_MODULE"] = "masip.settings.test"
    env["DATABASE_URL"] = database_url_for(settings.DATABASES["default"])
    done = subprocess.run(
        [sys.executable, "-c", IMPORT_TWICE, str(bundle), slug, str(BATCH)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return int(done.stdout.strip().splitlines()[-1])


@pytest.mark.django_db(transaction=True)
def test_a_re_import_compares_with_what_is_held_without_holding_it_all(tmp_path: Path) -> None:
    peaks = {}
    for referrals in (SMALL, LARGE):
        bundle = tmp_path / f"bundle-{referrals}"
        call_command("generate_bundle", str(bundle), referrals=referrals, seed=1, stdout=io.StringIO())
        peaks[referrals] = _peak_rss_mb(bundle, f"memory-{referrals}")
    growth = peaks[LARGE] - peaks[SMALL]
    assert growth < MAX_GROWTH_MB, f"peak RSS {peaks[SMALL]} MB at {SMALL:,} referrals, {peaks[LARGE]} MB at {LARGE:,}"
