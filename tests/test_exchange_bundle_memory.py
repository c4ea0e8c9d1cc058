"""A bundle import's memory: what is held, and every file's rows, are read a batch at a time,
and what is kept of every row (ids by ref) is in temporary tables, not in the process.

Each bundle is imported, then imported again (every row already held, compared with what
is held), in a process of its own, whose peak resident memory is what it reports: a
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
for create in (f"Memory {slug}", ""):
    result = importer.import_bundle(source=source, partnership_slug=slug, create_name=create)
    assert result.ok, result.errors[:5]
# VmHWM, not getrusage's ru_maxrss: a forked child starts with its parent's peak (the test
# process's), while the high-water mark of its own memory starts afresh at exec.
with open("/proc/self/status") as status:
    print(int(re.search(r"VmHWM:\\s+(\\d+) kB", status.read()).group(1)) // 1024)
"""

SMALL, LARGE = 5_000, 20_000
BATCH = 1_000
# Measured (MB of peak RSS over an import and a re-import, batches of 1,000 rows;
# docs/performance.md, "Import peak memory"): 100 at 5,000 referrals and 114 at 20,000
# (about 1,000 bytes a referral) while the held ids, the new people's ids and the new cases'
# current risk were dictionaries by ref and the plan kept the line of every ref; 97 and 100
# (about 200 bytes a referral) since they are temporary tables asked a batch at a time and
# arrays of ids. The bound: 3 MB above today's growth, for the allocator's variation from
# run to run, and 8 MB under the growth before.
MAX_GROWTH_MB = 6


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
