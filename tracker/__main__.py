"""Command line: `python -m tracker track VIDEO --out FILE.jsonl [--spine HX,HY,SX,SY]
[--smooth] [--stride N]`.

Bad input exits 2 with one line on stderr (no traceback): the CLI is run by people and
scripts who need the reason, not our call stack.
"""
from __future__ import annotations

import argparse
import math
import sys
from typing import Sequence

from .console import OneLineParser, one_line, stride_arg, truncated  # first: quiets OpenCV before it loads
from .types import SpinePoints  # (light: no cv2, no mediapipe)

# An automatic spine below this confidence is left out: a wrong spine is worse than none,
# because the analysis would warn about pressure on a spine that is not there.


def parse_spine(text: str) -> SpinePoints:
    """'HX,HY,SX,SY' -> SpinePoints; four numbers in [0, 1], head != sacrum."""
    parts = text.split(",")
    try:
        values = [float(p) for p in parts]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected 4 numbers HX,HY,SX,SY, got {text!r}") from None
    if len(values) != 4:
        raise argparse.ArgumentTypeError(f"expected 4 numbers HX,HY,SX,SY, got {len(values)}")
    if not all(math.isfinite(v) and 0.0 <= v <= 1.0 for v in values):
        raise argparse.ArgumentTypeError("values must be in [0, 1] (normalised image coordinates)")
    head, sacrum = (values[0], values[1]), (values[2], values[3])
    if head == sacrum:
        raise argparse.ArgumentTypeError("head and sacrum must differ")
    return SpinePoints(head, sacrum)


def _parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="python -m tracker", description="Hand tracking for the massage coach.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=OneLineParser)
    track = sub.add_parser("track", help="write a track file (JSON Lines) of the hands in a video")
    track.add_argument("video", help="video file")
    track.add_argument("--out", required=True, help="output track file (.jsonl)")
    track.add_argument("--spine", type=parse_spine, metavar="HX,HY,SX,SY",
                       help="spine in normalised coords: base of neck (head) then sacrum; "
                            "estimated from body pose when absent")
    track.add_argument("--smooth", action="store_true", help="One Euro smoothing of the landmarks")
    track.add_argument("--stride", type=stride_arg, default=1, help="process every N-th frame")
    return parser


def _say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _progress(done: int, total: int) -> None:
    if done % 25 == 0 or done == total:
        of = f"/{total}" if total else ""
        print(f"\rtracking frame {done}{of}", end="", file=sys.stderr, flush=True)


def _auto_spine(video: str) -> SpinePoints | None:
    """The line by the app's one spine policy (coaching/spine_policy.py, loaded only here): the
    video's sidecar file, the saved calibration of this picture size, else the automatic line
    from stills, written only when it is sure; otherwise no line, said on stderr."""
    from coaching import spine_policy
    from feedback.spine import SpineError

    from .pipeline import sample_frames, video_header

    h = video_header(video)
    auto = spine_policy.Automatic(lambda: (sample_frames(video, spine_policy.STILLS), None, None))
    try:
        line = spine_policy.choose(h.width, h.height, spine_policy.chain(None, video=video, automatic=auto))
    except (SpineError, spine_policy.InputError) as e:
        if auto.found is not None and auto.found.points is None:
            _say("spine: no body found; writing no spine (give one with --spine)")
        else:
            _say(f"spine: {e}; writing no spine (give one with --spine)")
        return None
    _say(f"spine: from {line.source}, head ({line.head[0]:.3f}, {line.head[1]:.3f}) sacrum ({line.sacrum[0]:.3f}, "
         f"{line.sacrum[1]:.3f}), confidence {line.confidence:.2f}")
    return line.points()


def cmd_track(args: argparse.Namespace) -> int:
    from .filestore import check_out
    from .pipeline import track_video, video_header
    from .trackfile import TrackWriter

    # Both checked before anything slow, and before --out is opened: a failed run never
    # touches an existing --out, and --out may not be the video itself.
    check_out(args.out, (args.video,))
    header = video_header(args.video, stride=args.stride)
    header.spine = args.spine if args.spine is not None else _auto_spine(args.video)
    show = sys.stderr.isatty()
    expected = [0]

    def progress(done: int, total: int) -> None:
        expected[0] = total
        if show:
            _progress(done, total)

    frames = track_video(args.video, smooth=args.smooth, stride=args.stride, progress=progress)
    with_hands = 0
    with TrackWriter(args.out, header) as writer:  # written to a temporary file, renamed at the end
        for frame in frames:
            writer.write(frame)
            with_hands += bool(frame.hands)
    if show:
        print(file=sys.stderr)
    n = writer.frames_written
    if truncated(n, expected[0]):
        _say(f"warning: the video ended after {n} of the {expected[0]} frames it announces "
             "(damaged or cut short); the track covers only those")
    _say(f"wrote {n} frames to {args.out}; hands found in {with_hands} ({100 * with_hands / max(n, 1):.0f}%)")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from .filestore import OutputError
    from .hands import native_logs_hidden
    from .source import SourceError
    from .trackfile import TrackFormatError

    expected = (SourceError, OutputError, TrackFormatError, OSError, MemoryError, KeyboardInterrupt)
    try:
        if args.command == "track":
            with native_logs_hidden(expected=expected):
                return cmd_track(args)
    except (SourceError, OutputError, TrackFormatError) as e:
        _say(f"error: {one_line(e)}")
        return 2
    except OSError as e:  # e.g. a full disk while writing --out
        _say(f"error: {e.strerror or e}" + (f": {e.filename}" if e.filename else "")
             + "; nothing was written (an existing --out is unchanged)")
        return 2
    except MemoryError:
        _say("error: not enough memory for this video; try --stride 2 or a smaller video")
        return 2
    except KeyboardInterrupt:
        _say("interrupted; nothing was written (an existing --out is unchanged)")
        return 130
    return 2


if __name__ == "__main__":
    sys.exit(main())
