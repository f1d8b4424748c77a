"""python -m feedback analyze INPUT [--spine HX,HY,SX,SY] [--out FILE.json] [--summary]: the
README's command, kept here by name; the command line itself lives with the orchestration
(coaching/cli.py), outside the analysis core."""
import sys

if __name__ == "__main__":
    from coaching.cli import main

    sys.exit(main())
