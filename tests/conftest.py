import sys
from pathlib import Path

# The README installs the project with `pip install -e .`, which makes this unnecessary; it stays
# so that the checkout under test always wins over another installed copy (a second worktree,
# a non-editable install) and the suite also runs from a plain checkout.
ROOT = Path(__file__).resolve().parents[1]
if sys.path[0] != str(ROOT):
    sys.path.insert(0, str(ROOT))

# A per-test time limit, so that a deadlock fails the run instead of hanging it (CI's 15 minutes
# would otherwise end with no word of where). faulthandler is in the standard library: past the
# limit it prints every thread's stack and exits. MASSAGE_COACH_TEST_TIMEOUT=0 turns it off.
import contextlib  # noqa: E402
import faulthandler  # noqa: E402
import os  # noqa: E402

import pytest  # noqa: E402

TEST_TIMEOUT_S = float(os.environ.get("MASSAGE_COACH_TEST_TIMEOUT", "600"))
_terminal = None  # the real stderr: pytest captures fd 2 during a test, and exit loses that capture


def pytest_configure(config):
    global _terminal
    capman = config.pluginmanager.getplugin("capturemanager")
    with capman.global_and_fixture_disabled() if capman else contextlib.nullcontext():
        _terminal = os.fdopen(os.dup(2), "w")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    if TEST_TIMEOUT_S > 0:
        faulthandler.dump_traceback_later(TEST_TIMEOUT_S, exit=True, file=_terminal)
    try:
        yield
    finally:
        if TEST_TIMEOUT_S > 0:
            faulthandler.cancel_dump_traceback_later()
