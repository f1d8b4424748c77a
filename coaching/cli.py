"""The command line of the analysis: python -m feedback analyze INPUT [--spine HX,HY,SX,SY] [--out FILE.json]

INPUT is a video or a .jsonl track. Writes the report as JSON (to stdout without --out); with
--summary and no --out, prints only a short summary a person reads. Bad input exits with code 2
and a one-line reason on stderr.
"""
from __future__ import annotations

import sys

from tracker.console import (  # first: quiets OpenCV before it loads
    OneLineParser,
    one_line,
    stride_arg,
    truncated,
)

from feedback.spine import SpineError
from feedback.story import plural
from feedback.summary import Summary


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
    an.add_argument("--stride", type=stride_arg, default=1, help="analyse every n-th video frame (faster review)")
    an.add_argument("--summary", action="store_true",
                    help="print a short summary a person reads (instead of the JSON, unless --out is given)")
    a = ap.parse_args(argv)

    from tracker.filestore import OutputError, check_out, write_text

    from .recording import InputError, analyse_path

    try:
        if a.out:  # before the input is read: --out is never the input, nor opened by a failed run
            check_out(a.out, (a.input,))
    except OutputError as e:
        return _fail(str(e))
    from tracker.hands import native_logs_hidden
    from tracker.models import ModelsUnavailable

    try:
        with native_logs_hidden(expected=(InputError, SpineError, ModelsUnavailable, MemoryError, KeyboardInterrupt)):
            result = analyse_path(a.input, spine_flag=a.spine, stride=a.stride)
    except (InputError, SpineError, ModelsUnavailable) as e:
        return _fail(one_line(e))
    except MemoryError:
        return _fail("not enough memory for this input; try --stride 2 or a smaller video")
    except KeyboardInterrupt:
        sys.stderr.write("interrupted; nothing was written\n")
        return 130
    if truncated(result.frames, result.expected_frames):
        sys.stderr.write(f"warning: the video ended after {result.frames} of the {result.expected_frames} frames "
                         "it announces (damaged or cut short); the report covers only those\n")
    summary = describe(result.report.summary)
    try:
        if a.out:
            write_text(a.out, result.report.to_json() + "\n")  # atomic: the old file stays on any failure
            sys.stderr.write(summary + "\n")
        else:
            sys.stdout.write((summary if a.summary else result.report.to_json()) + "\n")
            sys.stdout.flush()
    except OSError as e:  # a full disk, a closed pipe
        sys.stdout = None  # nothing more to flush at exit (it would print a second error)
        where = a.out or "standard output"
        return _fail(f"cannot write {where}: {e.strerror or e}" + ("; the old file is unchanged" if a.out else ""))
    return 0


def describe(s: Summary) -> str:
    """A few lines a person reads: time per technique against the guide, strokes, spine."""
    lines = [f"session {s.duration_s:.1f} s, hands seen in {100 * s.hands_seen_fraction:.0f}% of frames"]
    for name, g in s.against_guide.items():
        lines.append(f"  {name:11s} {g.seconds:6.1f} s  (guide {g.target_min_s / 60:.0f}-"
                     f"{g.target_max_s / 60:.0f} min: {g.status})")
    e = s.effleurage
    lines.append(f"  effleurage strokes {e.strokes}: {e.up} upward, {e.down_wrong_way} the wrong way (down); "
                 f"{e.returns} returns" + (f", {e.moves} other moves along the back" if e.moves else ""))
    if s.seconds_no_hands:
        lines.append(f"  no hands seen: {s.seconds_no_hands:.1f} s (not counted as any technique)")
    for problem in (s.camera.problems if s.camera else ()):
        lines.append(f"  camera check: {problem.message}")
    sp = s.spine
    lines.append(f"  hands over the spine: {plural(sp.events, 'time')}, {sp.seconds_over:.1f} s in all")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
