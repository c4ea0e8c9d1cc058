"""The shared fixtures live in tests/fixtures.py (registered once, from the root
conftest.py, so the session's single browser and worker serve every directory).
The helpers are re-exported here for the tests that import them."""

from tests.fixtures import sign_in
from tests.workers import ROOT

__all__ = ["ROOT", "sign_in"]
