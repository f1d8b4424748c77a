"""Where the spine line comes from: one ordered chain of sources, the same for every path.

    given (--spine, a line set by hand) -> track header -> the video's sidecar file
        -> the app's saved calibration -> automatic (strokes, pose, outline)

Each source returns a `SpineLine` (the one spine type at the borders: the points, the image
size, `source` = where it came from and `confidence` = how sure) or None when it has nothing;
the first that has a line wins. The checks are the same wherever the chain runs: files through
`calibration.spine_points` (inside the picture), every line through `SpineLine` (finite, not
degenerate); a saved
calibration only for images of the size it was set on; the automatic line only when it is
CONFIRM_AT sure. The command line, the review page, the live page and the benchmark call it.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterable, Protocol, Sequence

import numpy as np

from feedback.spine import SpineError, SpineLine
from tracker.types import HandFrame, SpinePoints

from . import calibration

STILLS = 3  # stills for the automatic line (as on the views its confidence was fitted on)
ASK = ("give it with --spine HX,HY,SX,SY (base of the neck then sacrum, 0-1 image coordinates), "
       "or set it in the app's editor")


class InputError(Exception):
    """Input that cannot be analysed; the message is one line a person can act on."""


class SpineSource(Protocol):
    name: str

    def find(self, width: int, height: int) -> SpineLine | None: ...


class Given:
    """A line given explicitly: the command line's 'HX,HY,SX,SY' or points set by hand."""

    name = "given"

    def __init__(self, line: str | SpinePoints | None, source: str = "flag", confidence: float = 1.0) -> None:
        self.line, self.source, self.confidence = line, source, confidence

    def find(self, width: int, height: int) -> SpineLine | None:
        if not self.line:
            return None
        if isinstance(self.line, str):
            return SpineLine.parse(self.line, width, height, self.source)
        return _line(self.line, width, height, self.source, self.confidence)


class TrackHeader:
    """The line written in a track file's header."""

    name = "track"

    def __init__(self, points: SpinePoints | None) -> None:
        self.points = points

    def find(self, width: int, height: int) -> SpineLine | None:
        return None if self.points is None else _line(self.points, width, height, "track")


class Sidecar:
    """`VIDEO.spine.json` next to a video ({"head": [x, y], "sacrum": [x, y]}, 0-1 image
    coordinates; the bundled samples have one). A malformed one is an InputError, not skipped."""

    name = "sidecar"

    def __init__(self, video: str | Path | None) -> None:
        self.video = None if video is None else Path(video)

    def points(self) -> SpinePoints | None:
        if self.video is None:
            return None
        side = self.video.with_name(self.video.stem + ".spine.json")
        try:
            return calibration.spine_points(calibration.read_json(side))
        except FileNotFoundError:
            return None
        except calibration.CalibrationError as e:
            text = str(e)
            raise InputError(text if text.startswith(str(side)) else
                             f"{side}: not a usable spine calibration ({text})") from None

    def find(self, width: int, height: int) -> SpineLine | None:
        pts = self.points()
        return None if pts is None else _line(pts, width, height, "calibration")


class SavedCalibration:
    """The app's saved calibration, for images of the size it was set on only (a calibration
    belongs to one camera set-up; on another size it would be a guess)."""

    name = "saved"
    skipped: str | None = None  # why a saved line was not used

    def find(self, width: int, height: int) -> SpineLine | None:
        try:
            cal = calibration.load()
        except calibration.CalibrationError as e:
            raise InputError(f"saved spine calibration {e}; save a new line in the app, or delete the file") from None
        if cal is None:
            return None
        if not fits(cal, width, height):
            w, h = cal.image_size
            self.skipped = f"the saved calibration was set on {w}x{h} pictures, these are {width}x{height}"
            return None
        return _line(cal.points(), width, height, "calibration", cal.confidence)


def fits(cal: calibration.Calibration, width: int, height: int) -> bool:
    """A saved calibration applies to images of the size it was set on (or of any size when
    the file does not say)."""
    return cal.image_size is None or tuple(cal.image_size) == (width, height)


class Automatic:
    """The automatic line (feedback.spine_auto.fuse of the strokes, MediaPipe Pose on stills
    and the body's outline), given only when it is CONFIRM_AT sure. `evidence` is called only
    when the chain gets this far: it returns (stills, tracked hand frames, seconds or None)."""

    name = "automatic"

    def __init__(self, evidence: Callable[[], tuple[list[np.ndarray], list[HandFrame] | None, float | None]]) -> None:
        self.evidence = evidence
        self.found = None  # the AutoSpine, for a caller that shows an unsure line in the editor

    def find(self, width: int, height: int) -> SpineLine | None:
        stills, hands, seconds = self.evidence()
        if not stills and not hands:
            return None
        self.found = found = auto_spine(width, height, stills, hands, seconds)
        if not found.confident:
            raise SpineError(f"no spine line: {found.reason}; check it and {ASK}")
        return _line(found.points, width, height, f"auto:{found.source}", found.confidence)


def choose(width: int, height: int, sources: Sequence[SpineSource]) -> SpineLine:
    """The first line a source has, in order; SpineError when none has one."""
    for source in sources:
        line = source.find(width, height)
        if line is not None:
            return line
    why = "; ".join(s.skipped for s in sources if getattr(s, "skipped", None))
    raise SpineError(f"no spine line (none given, none in the track file{'; ' + why if why else ''}); {ASK}")


def chain(given: str | SpinePoints | None = None, given_source: str = "flag", header: SpinePoints | None = None,
          video: str | Path | None = None, saved: bool = True, automatic: Automatic | None = None,
          given_confidence: float = 1.0) -> list[SpineSource]:
    """The policy's chain, in its one order; the sources a path cannot have are left out."""
    out: list[SpineSource] = [Given(given, given_source, given_confidence), TrackHeader(header), Sidecar(video)]
    if saved:
        out.append(SavedCalibration())
    if automatic is not None:
        out.append(automatic)
    return out


def _line(pts: SpinePoints, width: int, height: int, source: str, confidence: float = 1.0) -> SpineLine:
    """Points read from a file were checked by `calibration.spine_points` (inside the picture);
    every line, whatever its source, by `SpineLine` (finite, near the image, not degenerate)."""
    return SpineLine.from_points(pts, width, height, source, confidence)


# -- the automatic link: #10's estimators through their function API -----------------------------

def auto_spine(width: int, height: int, stills: Iterable[np.ndarray] | None = None,
               hand_frames: list[HandFrame] | None = None, seconds: float | None = None):
    """The automatic line (feedback.spine_auto.AutoSpine) from stills and/or tracked hands."""
    from feedback.spine_auto import fuse
    from feedback.spine_from_hands import estimate_from_hands

    stills = list(stills or [])
    pose, outline = body_evidence(stills)
    hands = estimate_from_hands(hand_frames, width, height, seconds) if hand_frames else None
    ends = None
    if stills and hands is not None and hands.points is not None:
        from tracker.spine_image import skin_ends

        ends = skin_ends(stills, hands.points)  # the bare back's ends along the strokes' line
    return fuse(hands, pose, outline, width, height, ends=ends)


def body_evidence(stills: list[np.ndarray]):
    """(pose, outline) evidence (tracker.spine_image) from stills; (None, None) without."""
    if not stills:
        return None, None
    from tracker.spine_image import spine_from_outline, spine_from_pose
    from tracker.body import BodyMask, PoseModel

    with PoseModel() as model:
        pose = spine_from_pose(stills, model)
    with BodyMask() as mask:
        outline = spine_from_outline(stills, mask)
    return pose, outline


def from_still(frame_bgr: np.ndarray) -> tuple[SpinePoints, float] | None:
    """A line from one still (pose and outline) and its calibrated confidence, which from a
    still alone is usually low: the caller shows it for confirmation. None if no person."""
    h, w = frame_bgr.shape[:2]
    found = auto_spine(w, h, stills=[frame_bgr])
    if found.points is None:
        return None
    return found.points, float(found.confidence)
