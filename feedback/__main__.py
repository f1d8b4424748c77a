"""python -m feedback analyze INPUT [--spine HX,HY,SX,SY] [--out FILE.json]

INPUT is a video or a .jsonl track. Writes the report as JSON (to stdout without --out); with
--summary and no --out, prints only a short summary a person reads. Bad input exits with code 2
and a one-line reason on stderr.
"""
from __future__ import annotations

import sys
from pathlib import Path

from tracker.console import OneLineParser  # first: quiets OpenCV before it loads

from .spine import SpineError


def _fail(message: str) -> int:
    sys.stderr.write(f"error: {message}\n")
    return 2


def main(argv: list[str] | None = None) -> int:
    ap = OneLineParser(prog="python -m feedback", description="Analyse a massage session.")
    sub = ap.add_subparsers(dest="command", required=True, parser_class=OneLineParser)
    an = sub.add_parser("analyze", help="analyse a video or a .jsonl track and write the report as JSON")
    an.add_argument("input", help="video file (mp4, mov, avi, webm) or track file (.jsonl)")
    an.add_argument("--spine", help="spine line HX,HY,SX,SY: base of the neck then sacrum, 0-1 image coordinates")
    an.add_argument("--out", help="write the JSON report here instead of stdout")
    an.add_argument("--stride", type=int, default=1, help="analyse every n-th video frame (faster review)")
    an.add_argument("--summary", action="store_true",
                    help="print a short summary a person reads (instead of the JSON, unless --out is given)")
    a = ap.parse_args(argv)

    from .pipeline import InputError, analyse_path

    if a.stride < 1:
        return _fail("--stride must be 1 or more")
    if a.out and not Path(a.out).resolve().parent.is_dir():
        return _fail(f"--out {a.out}: the folder does not exist")
    from tracker.hands import native_logs_hidden

    try:
        with native_logs_hidden(expected=(InputError, SpineError)):
            result = analyse_path(a.input, spine_flag=a.spine, stride=a.stride)
    except (InputError, SpineError) as e:
        return _fail(str(e).splitlines()[0] if str(e) else type(e).__name__)
    summary = describe(result.report.summary)
    if a.out:
        Path(a.out).write_text(result.report.to_json() + "\n")
        sys.stderr.write(summary + "\n")
    elif a.summary:
        sys.stdout.write(summary + "\n")
    else:
        sys.stdout.write(result.report.to_json() + "\n")
    return 0


def describe(s: dict) -> str:
    """A few lines a person reads: time per technique against the guide, strokes, spine."""
    lines = [f"session {s['duration_s']:.1f} s, hands seen in {100 * s['hands_seen_fraction']:.0f}% of frames"]
    for name, g in s["against_guide"].items():
        lines.append(f"  {name:11s} {g['seconds']:6.1f} s  (guide {g['target_min_s'] / 60:.0f}-"
                     f"{g['target_max_s'] / 60:.0f} min: {g['status']})")
    e = s["effleurage"]
    lines.append(f"  effleurage strokes {e['strokes']}: {e['up']} upward, {e['down_wrong_way']} the wrong way (down); "
                 f"{e['returns']} returns" + (f", {e['moves']} other moves along the back" if e.get("moves") else ""))
    if s.get("seconds_no_hands"):
        lines.append(f"  no hands seen: {s['seconds_no_hands']:.1f} s (not counted as any technique)")
    for problem in s.get("camera", {}).get("problems", []):
        lines.append(f"  camera check: {problem['message']}")
    sp = s["spine"]
    lines.append(f"  hands over the spine: {sp['events']} times, {sp['seconds_over']:.1f} s in all")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
