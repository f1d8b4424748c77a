"""One coaching session: the wiring every path shares (command line, review page, live page,
benchmark).

    frames (image + time)  --push-->        hand detector -> analysis -> coach  --> FrameUpdate
    tracked hands          --push_hands-->                   analysis -> coach  --> FrameUpdate
    finish()  --> SessionResult (report, cues, spine line(s); the caller adds the annotated video)

Per frame the caller gets the frame's result and the cue to show, together (the panel and the
overlay show the same moment). `finish()` gives one frozen SessionResult, the same on every
call; `push` after it is an error. A new spine line mid-session (`change_spine`) starts a new
part of the analysis on that line; the result covers the whole session and says where the line
changed. The live counters and technique times come from the same frames as the report and,
once the session is finished, are the report's own figures.
"""
from __future__ import annotations

from array import array
from dataclasses import dataclass, field, replace
from types import SimpleNamespace

import numpy as np

from feedback import guide
from feedback.analyzer import AnalyzerOptions, FrameResult, SessionAnalyzer, join_segments
from feedback.camera_check import CameraProblem, CameraWatch, palm_widths_px
from feedback.camera_check import check as camera_check
from feedback.coach import LEVELS, Coach, Cue
from feedback.coverage import HandTrace
from feedback.labels import Level
from feedback.report import SessionReport
from feedback.spine import SpineLine
from tracker.types import HandFrame


# The live counters are the report's rules run on the session so far (SessionAnalyzer.preview),
# about a finish() each: every second of session time, less often as a long session grows (the
# cost grows with it), so an hour costs a few seconds of CPU.
COUNT_EVERY_S = 1.0
COUNT_EVERY_SHARE = 0.02


def clock(seconds: float | None) -> str:
    """m:ss of a session time."""
    if seconds is None or not np.isfinite(seconds):
        return "–"
    m, s = divmod(int(round(max(0.0, float(seconds)))), 60)
    return f"{m}:{s:02d}"


class SessionFinished(RuntimeError):
    """push() or change_spine() after finish(): a finished session does not take more frames."""


@dataclass(frozen=True)
class FrameUpdate:
    """One frame's answer: the analysis of the frame and the cue to show with it."""

    result: FrameResult
    cue: Cue | None
    spine: SpineLine       # the line this frame was analysed on
    part: int = 0          # which part of the session (a new one each time the line changes)

    @property
    def t(self) -> float:
        return self.result.t


@dataclass(frozen=True)
class SpineChange:
    t: float               # session time from which the line is used
    line: SpineLine

    def describe(self) -> str:
        return clock(self.t)


@dataclass(frozen=True)
class Counters:
    """What the live panel counts. During the session: the live judge's counts; once the
    session is finished: the report's, so the panel and the report agree at STOP."""

    glides_up: int = 0
    wrong_way: int = 0
    returns: int = 0
    spine_alerts: int = 0

    @classmethod
    def of_report(cls, report: SessionReport) -> "Counters":
        e = report.summary.effleurage
        return cls(e.up, e.down_wrong_way, e.returns, report.summary.spine.events)

    def __add__(self, other: "Counters") -> "Counters":
        return Counters(self.glides_up + other.glides_up, self.wrong_way + other.wrong_way,
                        self.returns + other.returns, self.spine_alerts + other.spine_alerts)

    def as_counts(self) -> dict[str, int]:
        """The keys FrameResult.counts (and the overlay) use."""
        return {"effleurage_up": self.glides_up, "effleurage_down": self.wrong_way, "returns": self.returns}


class CueTape:
    """What the coach reads of each frame, kept compactly (about 26 bytes a frame) so the cues
    can be derived again for another coaching level without analysing again."""

    def __init__(self) -> None:
        self.t = array("d")
        self.label = bytearray()
        self.over = bytearray()
        self.along = array("d")      # two slots a frame, NaN when the slot has no hand
        self.strokes: dict[int, object] = {}

    def add(self, r: FrameResult) -> None:
        i = len(self.t)
        self.t.append(r.t)
        self.label.append(guide.LABELS.index(r.label) if r.label in guide.LABELS else 255)
        self.over.append(bool(r.over_spine))
        row = [np.nan, np.nan]
        for h in r.hands:
            if h.slot in (0, 1):
                row[h.slot] = h.along
        self.along.extend(row)
        if r.stroke is not None:
            self.strokes[i] = r.stroke

    def replay(self, level: str) -> tuple[tuple[float, str, str], ...]:
        coach = Coach(level)
        for i, t in enumerate(self.t):
            code = self.label[i]
            hands = tuple(SimpleNamespace(along=a) for a in self.along[2 * i:2 * i + 2] if a == a)
            coach.update(SimpleNamespace(t=t, label=guide.LABELS[code] if code != 255 else "idle",
                                         over_spine=bool(self.over[i]), hands=hands, stroke=self.strokes.get(i)))
        return _cue_rows(coach)


def _cue_rows(coach: Coach) -> tuple[tuple[float, str, str], ...]:
    return tuple((round(float(t), 2), c.text, c.severity) for t, c in coach.history)


@dataclass(frozen=True)
class SessionResult:
    """The whole session, frozen: the report, the cues given (at `level`), every spine line used
    and from when, and what the caller adds (the annotated video, notes)."""

    report: SessionReport
    cues: tuple[tuple[float, str, str], ...]     # (t, text, severity)
    level: Level
    spine: SpineLine                              # the line in use at the end
    spine_changes: tuple[SpineChange, ...]        # every line, the first at the session's start
    frames: int
    trace: HandTrace | None = None
    video: bytes | None = None
    expected_frames: int = 0                      # what a video container announced (0: unknown)
    width: int = 0
    height: int = 0
    fps: float = 0.0
    notes: tuple[str, ...] = ()
    ended_at: str = ""                            # local time the session ended (live), for titles
    tape: CueTape | None = field(default=None, repr=False, compare=False)

    @property
    def counters(self) -> Counters:
        return Counters.of_report(self.report)

    @property
    def truncated(self) -> bool:
        """The container announced clearly more frames than could be decoded."""
        return self.expected_frames > 0 and self.frames < 0.9 * self.expected_frames - 2

    def cues_for(self, level: Level) -> tuple[tuple[float, str, str], ...]:
        """The cues the coach gives at another level, from the stored frames (no new analysis)."""
        if level == self.level or self.tape is None:
            return self.cues
        if level not in LEVELS:
            raise ValueError(f"level must be one of {tuple(LEVELS)}, got {level!r}")
        return self.tape.replay(level)

    def spine_notes(self) -> tuple[str, ...]:
        """What to say about the spine lines of the session (nothing when it had one line)."""
        return tuple(f"The spine line changed at {c.describe()} (from then on: {c.line.source}); the report covers "
                     "the whole session, each part measured against its own line." for c in self.spine_changes[1:])


class Session:
    """Frames in, per frame the result and the cue out, one SessionResult at the end.

    The hand detector (MediaPipe, through tracker.pipeline.region_detector) is created on first
    use, in the thread that calls `push` (streamlit-webrtc calls from a worker thread)."""

    def __init__(self, spine: SpineLine, level: Level = "beginner", options: AnalyzerOptions | None = None,
                 detector_options=None) -> None:
        if level not in LEVELS:
            raise ValueError(f"level must be one of {tuple(LEVELS)}, got {level!r}")
        self.level = level
        self._options = options
        self._detector_options = detector_options
        self._detector = None
        self._camera = CameraWatch()                  # the session's camera figures (all parts)
        self.live_camera = CameraWatch(window_s=5.0)  # the last seconds, for the live page
        self._parts = [SessionAnalyzer(spine, options, self._camera)]
        self._changes = [SpineChange(0.0, spine)]
        self._coach = Coach(level)
        self._trace = HandTrace()
        self._tape = CueTape()
        self._frames = 0
        self._last_t: float | None = None
        self._counters = Counters()
        self._seconds = {name: 0.0 for name in guide.TECHNIQUES}
        self._counted: tuple[float, int] | None = None  # (session time, frames) of the last count
        self._t0: float | None = None
        self._result: SessionResult | None = None

    # -- what is known now -----------------------------------------------------------------
    @property
    def spine(self) -> SpineLine:
        return self._parts[-1].spine

    @property
    def frames(self) -> int:
        return self._frames

    @property
    def finished(self) -> bool:
        return self._result is not None

    @property
    def spine_changes(self) -> tuple[SpineChange, ...]:
        return tuple(self._changes)

    def counters(self, fresh: bool = False) -> Counters:
        """Glides up, the wrong way, returns and spine alerts by the report's rules (see
        SessionAnalyzer.preview): as of the latest count (every COUNT_EVERY_S), or of the last
        frame when `fresh`; after finish(), the report's."""
        if self._result is not None:
            return self._result.counters
        self._count(force=fresh)
        return self._counters

    def technique_seconds(self, fresh: bool = False) -> dict[str, float]:
        """Seconds per technique by the report's rules, as counters()."""
        if self._result is not None:
            return _seconds(self._result.report)
        self._count(force=fresh)
        return dict(self._seconds)

    def _count(self, force: bool = False) -> None:
        """Counts again by the report's rules when due (or, forced, when frames came since)."""
        if self._last_t is None or (self._counted is not None and self._counted[1] == self._frames):
            return
        t = self._last_t
        if not force and self._counted is not None and \
                t - self._counted[0] < max(COUNT_EVERY_S, COUNT_EVERY_SHARE * (t - (self._t0 or t))):
            return
        counters, seconds = Counters(), {name: 0.0 for name in guide.TECHNIQUES}
        for part in self._parts:
            if not part.frames:
                continue
            report = part.finish() if part is not self._parts[-1] else part.preview()
            counters = counters + Counters.of_report(report)
            for name, v in _seconds(report).items():
                seconds[name] += v
        self._counters, self._seconds, self._counted = counters, seconds, (t, self._frames)

    def recent_cues(self, n: int = 6) -> list[tuple[float, Cue]]:
        return list(self._coach.history[-n:])

    def camera_problems(self) -> list[CameraProblem]:
        """What is wrong with the camera set-up lately (an empty list: nothing found)."""
        s = self.spine
        return camera_check(self.live_camera.figures((tuple(s.head), tuple(s.sacrum))))

    # -- frames in -------------------------------------------------------------------------
    def push(self, image_bgr: np.ndarray, t: float) -> FrameUpdate:
        """Detect the hands in one BGR frame taken at `t` (seconds) and analyse them."""
        self._check_open()
        if self._detector is None:
            from tracker.pipeline import region_detector

            self._detector = region_detector(self._detector_options, self.spine.points())
        hands = self._detector.detect(image_bgr, t)
        light = getattr(self._detector, "last_light", None)
        return self.push_hands(hands, light.mean if light is not None else None)

    def push_hands(self, frame: HandFrame, brightness: float | None = None) -> FrameUpdate:
        """Analyse one frame of tracked hands (from a detector, a track file or the parallel
        tracker); `brightness` is the frame's mean luma, for the camera check."""
        self._check_open()
        part = self._parts[-1]
        result = part.push(frame)
        if brightness is not None:
            self._camera.add_brightness(brightness)
        s = part.spine
        self.live_camera.add(result.t, palm_widths_px(frame, s.width, s.height), brightness)
        if self._last_t is not None and result.t <= self._last_t:
            result = replace(result, t=self._last_t + 1e-4)  # a new part continues the session's clock
        self._last_t = result.t
        if self._t0 is None:
            self._t0 = result.t
        self._frames += 1
        self._count()
        # The counts drawn and shown are the report's rules' (the analyzer's own are its live judge's).
        result = replace(result, counts=self._counters.as_counts())
        cue = self._coach.update(result)
        self._trace.add(result)
        self._tape.add(result)
        return FrameUpdate(result, cue, s, len(self._parts) - 1)

    def change_spine(self, spine: SpineLine) -> None:
        """Use a new spine line from the next frame on: a new part of the analysis starts on it
        (the frames so far stay measured against the old line, and stay in the report)."""
        self._check_open()
        if spine == self.spine:
            return
        if self._parts[-1].frames == 0:
            # Nothing measured on the old line: it is simply replaced.
            self._parts[-1] = SessionAnalyzer(spine, self._options, self._camera)
            self._changes[-1] = SpineChange(self._changes[-1].t, spine)
        else:
            self._parts.append(SessionAnalyzer(spine, self._options, self._camera))
            self._changes.append(SpineChange(float(self._last_t or 0.0), spine))
        self._close_detector()  # the region around the back follows the line

    # -- the end ---------------------------------------------------------------------------
    def finish(self) -> SessionResult:
        """The session's result; the same object on every call. Releases the detector."""
        if self._result is None:
            self._close_detector()
            parts = [p for p in self._parts if p.frames] or self._parts[-1:]
            report = join_segments(parts)
            first = self._changes[0].line
            self._result = SessionResult(report, _cue_rows(self._coach), self.level, self.spine,
                                         tuple(self._changes), self._frames, self._trace,
                                         width=first.width, height=first.height, tape=self._tape)
        return self._result

    def close(self) -> None:
        """Releases the hand detector (the analysis stays; push() takes it again)."""
        self._close_detector()

    def _close_detector(self) -> None:
        if self._detector is not None:
            detector, self._detector = self._detector, None
            detector.close()

    def _check_open(self) -> None:
        if self._result is not None:
            raise SessionFinished("this session is finished: start a new Session for more frames")


def _seconds(report: SessionReport) -> dict[str, float]:
    return {name: report.summary.seconds(name) for name in guide.TECHNIQUES}
