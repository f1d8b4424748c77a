import sys
from pathlib import Path

# The README installs the project with `pip install -e .`, which makes this unnecessary; it stays
# so that the checkout under test always wins over another installed copy (a second worktree,
# a non-editable install) and the suite also runs from a plain checkout.
ROOT = Path(__file__).resolve().parents[1]
if sys.path[0] != str(ROOT):
    sys.path.insert(0, str(ROOT))
