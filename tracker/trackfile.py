"""The massage-track file: JSON Lines, a header line then one line per video frame.

    {"format": "massage-track", "version": 1, "width": W, "height": H, "fps": F,
     "spine": {"head": [x, y], "sacrum": [x, y]}}                       <- "spine" optional
    {"t": 0.04, "hands": [{"handedness": "Left", "score": 0.97, "landmarks": [[x, y, z], ...]}]}

Streaming both ways (a long session never sits in memory) and strictly validated on read,
with one-line errors naming the line, because these files cross between tracker, app and
analysis and may be edited by hand. Imports only numpy: no MediaPipe, no OpenCV.
"""
from __future__ import annotations

import io
import json
import math
from pathlib import Path
from typing import IO, Any, Iterable, Iterator, Union

import numpy as np

from .types import N_LANDMARKS, Hand, HandFrame, SpinePoints, TrackHeader

FORMAT = "massage-track"
VERSION = 1
HANDEDNESS = ("Left", "Right")

# 1e-5 of the image is ~0.01 px at 640 wide: far below MediaPipe's jitter, and it keeps lines short.
LANDMARK_DECIMALS = 5
T_DECIMALS = 4  # 0.1 ms
SCORE_DECIMALS = 4

PathOrFile = Union[str, Path, IO[str], IO[bytes]]

# Bounds that refuse absurd input with a reason instead of a crash or a nonsense report. A
# frame line is about 1.2 kB with two hands; the reader never holds more than one line.
MAX_LINE_BYTES = 1 << 20
MAX_SIDE = 16384        # pixels, width or height
MAX_FPS = 1000.0
MAX_T = 86400.0         # seconds: a session longer than a day is a broken clock
MAX_HANDS = 4           # MediaPipe tracks two; a few more may come from another tracker
MAX_COORD = 100.0       # |landmark| in image widths: MediaPipe's stay within about [-1, 2]


class TrackFormatError(ValueError):
    """A track file (or a frame given to the writer) does not follow the format."""


# ---------------------------------------------------------------- writing


def _header_dict(header: TrackHeader) -> dict[str, Any]:
    d: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "width": int(header.width),
        "height": int(header.height),
        "fps": round(float(header.fps), 3),
    }
    if header.spine is not None:
        d["spine"] = {
            "head": [round(float(v), LANDMARK_DECIMALS) for v in header.spine.head],
            "sacrum": [round(float(v), LANDMARK_DECIMALS) for v in header.spine.sacrum],
        }
    return d


def _frame_dict(frame: HandFrame) -> dict[str, Any]:
    hands = []
    for hand in frame.hands:
        lm = np.asarray(hand.landmarks, dtype=np.float64)
        if lm.shape != (N_LANDMARKS, 3) or not np.all(np.abs(lm) <= MAX_COORD):
            raise TrackFormatError(f"frame t={frame.t}: landmarks must be 21x3 finite numbers within ±{MAX_COORD:g}")
        hands.append({
            "handedness": hand.handedness,
            "score": round(float(hand.score), SCORE_DECIMALS),
            "landmarks": (np.round(lm, LANDMARK_DECIMALS) + 0.0).tolist(),  # + 0.0: no "-0.0"
        })
    return {"t": round(float(frame.t), T_DECIMALS), "hands": hands}


class TrackWriter:
    """Writes a track file frame by frame; usable as a context manager.

    Given a path it owns the file and writes it atomically: the frames go to a temporary file
    that replaces the path only on `close()`, so a crash, Ctrl-C or a full disk leaves any old
    file as it was; leaving a `with` on an error discards them. Given an open text file it only
    writes to it. Frames are checked as they come, so a writer never produces a file the
    reader rejects.
    """

    def __init__(self, path_or_file: str | Path | IO[str], header: TrackHeader) -> None:
        from .filestore import AtomicFile

        _check_header(_header_dict(header), "header")
        self._atomic: AtomicFile | None = None
        if isinstance(path_or_file, (str, Path)):
            self._atomic = AtomicFile(path_or_file)
            self._f: IO[str] = self._atomic.file
        else:
            self._f = path_or_file
        self._last_t = -math.inf
        self.frames_written = 0
        try:
            self._f.write(json.dumps(_header_dict(header), allow_nan=False) + "\n")
        except BaseException:
            self.abort()
            raise

    def write(self, frame: HandFrame) -> None:
        d = _frame_dict(frame)
        for hand in d["hands"]:
            if hand["handedness"] not in HANDEDNESS or not 0.0 <= hand["score"] <= 1.0:
                raise TrackFormatError(f"frame t={frame.t}: bad handedness or score")
        if not math.isfinite(d["t"]) or d["t"] < self._last_t or not 0.0 <= d["t"] <= MAX_T:
            raise TrackFormatError(f"frame t={frame.t}: t must be within [0, {MAX_T:.0f}] s and not decreasing")
        if len(d["hands"]) > MAX_HANDS:
            raise TrackFormatError(f"frame t={frame.t}: more than {MAX_HANDS} hands")
        self._last_t = d["t"]
        # Compact separators: ~10% shorter lines (a two-hand frame is ~1.2 kB).
        self._f.write(json.dumps(d, separators=(",", ":"), allow_nan=False) + "\n")
        self.frames_written += 1

    def flush(self) -> None:
        self._f.flush()

    def close(self) -> None:
        """Finishes the file (for a path: renames it into place)."""
        if self._atomic is not None:
            self._atomic.commit()
        else:
            self._f.flush()

    def abort(self) -> None:
        """Discards what was written to a path (the old file, if any, stays)."""
        if self._atomic is not None:
            self._atomic.abort()

    def __enter__(self) -> TrackWriter:
        return self

    def __exit__(self, exc_type, *exc: object) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


def write_track(path_or_file: str | Path | IO[str], header: TrackHeader,
                frames: Iterable[HandFrame]) -> int:
    """Streams `frames` into a track file; returns the number of frames written."""
    with TrackWriter(path_or_file, header) as w:
        for frame in frames:
            w.write(frame)
        return w.frames_written


# ---------------------------------------------------------------- reading


def _reject_constant(name: str) -> float:
    # json.loads accepts NaN/Infinity by default; the format does not.
    raise ValueError(f"non-finite number {name}")


def _num(v: Any, what: str, loc: str) -> float:
    # bool is an int subclass in Python; true/false are not numbers in this format.
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise TrackFormatError(f"{loc}: {what} must be a number, got {_short(v)}")
    if isinstance(v, int) and abs(v) > 1e300:  # float() of a longer int overflows
        raise TrackFormatError(f"{loc}: {what} is out of range")
    if not math.isfinite(v):
        raise TrackFormatError(f"{loc}: {what} is not finite")
    return float(v)


def _short(v: Any) -> str:
    """A value for an error message, cut short (and never a huge repr built first)."""
    if isinstance(v, (dict, list)):
        return f"a JSON {'object' if isinstance(v, dict) else 'list'}"
    text = repr(v) if not isinstance(v, int) or abs(v) < 10 ** 30 else "a huge integer"
    return text[:40] + ("..." if len(text) > 40 else "")


def _point(v: Any, what: str, loc: str) -> tuple[float, float]:
    if not isinstance(v, list) or len(v) != 2:
        raise TrackFormatError(f"{loc}: {what} must be [x, y]")
    x, y = (_num(c, what, loc) for c in v)
    if not (abs(x) <= MAX_COORD and abs(y) <= MAX_COORD):
        raise TrackFormatError(f"{loc}: {what} is far outside the image")
    return (x, y)


def _require(d: dict[str, Any], keys: tuple[str, ...], loc: str, what: str) -> None:
    missing = [k for k in keys if k not in d]
    if missing:
        raise TrackFormatError(f"{loc}: {what} missing key(s) {', '.join(missing)}")


def _check_header(d: Any, loc: str) -> TrackHeader:
    if not isinstance(d, dict):
        raise TrackFormatError(f"{loc}: header must be a JSON object")
    if d.get("format") != FORMAT:
        raise TrackFormatError(f"{loc}: \"format\" must be \"{FORMAT}\", got {_short(d.get('format'))}")
    _require(d, ("version", "width", "height", "fps"), loc, "header")
    if d["version"] != VERSION or isinstance(d["version"], bool):
        raise TrackFormatError(f"{loc}: unsupported version {_short(d['version'])} (this reader knows {VERSION})")
    for key in ("width", "height"):
        if isinstance(d[key], bool) or not isinstance(d[key], int) or not 0 < d[key] <= MAX_SIDE:
            raise TrackFormatError(f"{loc}: {key} must be an integer from 1 to {MAX_SIDE}")
    fps = _num(d["fps"], "fps", loc)
    if not 0 < fps <= MAX_FPS:
        raise TrackFormatError(f"{loc}: fps must be above 0 and at most {MAX_FPS:g}")
    spine = None
    if d.get("spine") is not None:
        s = d["spine"]
        if not isinstance(s, dict) or set(s) != {"head", "sacrum"}:
            raise TrackFormatError(f"{loc}: spine must be {{\"head\": [x, y], \"sacrum\": [x, y]}}")
        spine = SpinePoints(_point(s["head"], "spine head", loc), _point(s["sacrum"], "spine sacrum", loc))
        if spine.head == spine.sacrum:  # a zero-length spine has no direction
            raise TrackFormatError(f"{loc}: spine head and sacrum are the same point")
    return TrackHeader(d["width"], d["height"], fps, spine)


def _check_hand(h: Any, loc: str) -> Hand:
    if not isinstance(h, dict):
        raise TrackFormatError(f"{loc}: each hand must be a JSON object")
    _require(h, ("handedness", "score", "landmarks"), loc, "hand")
    if h["handedness"] not in HANDEDNESS:
        raise TrackFormatError(f"{loc}: handedness must be \"Left\" or \"Right\"")
    score = _num(h["score"], "score", loc)
    if not 0.0 <= score <= 1.0:
        raise TrackFormatError(f"{loc}: score must be in [0, 1]")
    lm = h["landmarks"]
    if (not isinstance(lm, list) or len(lm) != N_LANDMARKS
            or not all(isinstance(p, list) and len(p) == 3 for p in lm)):
        raise TrackFormatError(f"{loc}: landmarks must be 21 lists of [x, y, z]")
    values = [_num(c, "landmark", loc) for p in lm for c in p]
    if not all(abs(c) <= MAX_COORD for c in values):
        raise TrackFormatError(f"{loc}: a landmark is far outside the image (beyond ±{MAX_COORD:g})")
    return Hand(np.array(values).reshape(N_LANDMARKS, 3), h["handedness"], score)


def _check_frame(d: Any, loc: str, last_t: float) -> HandFrame:
    if not isinstance(d, dict):
        raise TrackFormatError(f"{loc}: frame must be a JSON object")
    _require(d, ("t", "hands"), loc, "frame")
    t = _num(d["t"], "t", loc)
    if not 0.0 <= t <= MAX_T:
        raise TrackFormatError(f"{loc}: t={t:.6g} is outside [0, {MAX_T:.0f}] s (a day)")
    if t < last_t:
        raise TrackFormatError(f"{loc}: t={t:.6g} goes back in time (previous {last_t:.6g})")
    if not isinstance(d["hands"], list):
        raise TrackFormatError(f"{loc}: hands must be a list")
    if len(d["hands"]) > MAX_HANDS:
        raise TrackFormatError(f"{loc}: {len(d['hands'])} hands in one frame (at most {MAX_HANDS})")
    return HandFrame(t, [_check_hand(h, loc) for h in d["hands"]])


class TrackReader:
    """Reads a track file lazily: `header` is parsed on open, frames as you iterate.

    Accepts a path or an open text/binary file (e.g. an upload). Repeated t is allowed (a
    container may repeat a timestamp); decreasing t is rejected.
    """

    def __init__(self, path_or_file: PathOrFile) -> None:
        if isinstance(path_or_file, (str, Path)):
            # Binary, read line by line with a bound: a huge one-line file is refused after
            # MAX_LINE_BYTES, not read whole.
            try:
                self._f: IO[Any] = open(path_or_file, "rb")
            except OSError as e:
                raise TrackFormatError(f"cannot read the file ({e.strerror or e})") from None
            self._owns = True
        else:
            self._f, self._owns = path_or_file, False
        self._lines = self._numbered_lines()
        try:
            first = next(self._lines, None)
            if first is None:
                raise TrackFormatError("line 1: empty file")
            self.header = _check_header(self._parse(*first), f"line {first[0]}")
        except BaseException:
            self.close()
            raise

    def _numbered_lines(self) -> Iterator[tuple[int, str]]:
        n = 0
        while True:
            try:
                raw = self._f.readline(MAX_LINE_BYTES + 1)
            except OSError as e:
                raise TrackFormatError(f"line {n + 1}: cannot read the file ({e.strerror or e})") from None
            except UnicodeDecodeError:
                raise TrackFormatError(f"line {n + 1}: not UTF-8 text") from None
            if not raw:
                return
            n += 1
            if len(raw) > MAX_LINE_BYTES:
                raise TrackFormatError(f"line {n}: longer than {MAX_LINE_BYTES // 1024} kB (not a track file?)")
            text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else raw
            if text.strip():  # blank lines (e.g. a trailing one) carry nothing
                yield n, text

    @staticmethod
    def _parse(line: int, text: str) -> Any:
        try:
            return json.loads(text, parse_constant=_reject_constant)
        except RecursionError:
            raise TrackFormatError(f"line {line}: JSON nested too deeply") from None
        except ValueError as e:  # JSONDecodeError is a ValueError, and so is _reject_constant's
            msg = str(e) if "non-finite" in str(e) else "not valid JSON"
            raise TrackFormatError(f"line {line}: {msg}") from None

    def __iter__(self) -> Iterator[HandFrame]:
        last_t = -math.inf
        try:
            for line, text in self._lines:
                frame = _check_frame(self._parse(line, text), f"line {line}", last_t)
                last_t = frame.t
                yield frame
        finally:
            self.close()

    def close(self) -> None:
        if self._owns and not self._f.closed:
            self._f.close()

    def __enter__(self) -> TrackReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_track(path_or_file: PathOrFile) -> tuple[TrackHeader, list[HandFrame]]:
    """Reads and validates a whole track file."""
    with TrackReader(path_or_file) as reader:
        return reader.header, list(reader)


def iter_track(path_or_file: PathOrFile) -> tuple[TrackHeader, Iterator[HandFrame]]:
    """Header now, frames lazily (validated as they are read); the file closes at the end."""
    reader = TrackReader(path_or_file)
    return reader.header, iter(reader)


def dumps_track(header: TrackHeader, frames: Iterable[HandFrame]) -> str:
    """The whole track as a string (for downloads from the app)."""
    buf = io.StringIO()
    write_track(buf, header, frames)
    return buf.getvalue()
