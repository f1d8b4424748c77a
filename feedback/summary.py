"""The session summary as named, typed, frozen fields (built once, by report.summarise).

`Summary.to_dict()` is the report's JSON "summary" exactly as it has always been written (the
command line's JSON, the report files and the history's session ids depend on it): the same
keys, in the same order, with the same rounding. Readers use the fields, never string keys.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Literal, Mapping

from .camera_check import CameraFigures, CameraProblem

Status = Literal["short", "in range", "long"]


class _FrozenMap(Mapping):
    """A read-only mapping that pickles (the review page's cache pickles the result; a
    MappingProxyType does not pickle)."""

    def __init__(self, d: Mapping) -> None:
        self._d = dict(d)

    def __getitem__(self, key):
        return self._d[key]

    def __iter__(self) -> Iterator:
        return iter(self._d)

    def __len__(self) -> int:
        return len(self._d)

    def __eq__(self, other) -> bool:
        return dict(self._d) == (dict(other) if isinstance(other, Mapping) else other)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._d!r})"


def _frozen_map(d: Mapping) -> Mapping:
    return _FrozenMap(d)


@dataclass(frozen=True)
class AgainstGuide:
    """Time on one technique against the guide's range."""
    seconds: float
    target_min_s: float
    target_max_s: float
    status: Status

    def to_dict(self) -> dict:
        return {"seconds": self.seconds, "target_min_s": self.target_min_s, "target_max_s": self.target_max_s,
                "status": self.status}


@dataclass(frozen=True)
class Effleurage:
    strokes: int                 # pressing glides (phase "stroke")
    up: int                      # ... toward the head (the heart)
    down_wrong_way: int          # ... toward the hips
    returns: int                 # light returns down the outside
    moves: int                   # other moves along the back, not counted as strokes
    mean_length_spine: float | None
    mean_duration_s: float | None

    def to_dict(self) -> dict:
        return {"strokes": self.strokes, "up": self.up, "down_wrong_way": self.down_wrong_way,
                "returns": self.returns, "moves": self.moves, "mean_length_spine": self.mean_length_spine,
                "mean_duration_s": self.mean_duration_s}


@dataclass(frozen=True)
class Petrissage:
    bouts: int
    median_radius_palm: float | None
    median_tempo_hz: float | None

    def to_dict(self) -> dict:
        return {"bouts": self.bouts, "median_radius_palm": self.median_radius_palm,
                "median_tempo_hz": self.median_tempo_hz}


@dataclass(frozen=True)
class Tapotement:
    bouts: int
    median_rate_hz: float | None

    def to_dict(self) -> dict:
        return {"bouts": self.bouts, "median_rate_hz": self.median_rate_hz}


@dataclass(frozen=True)
class Passes:
    """Lifting, fanning, twist: bouts and one-way passes; repetitions against the guide's count
    only where the guide gives one (the last three fields are None otherwise, and not written)."""
    bouts: int
    passes: int
    repetitions: int | None = None
    guide_repetitions: tuple[int, int] | None = None
    status: Status | None = None

    def to_dict(self) -> dict:
        d = {"bouts": self.bouts, "passes": self.passes}
        if self.repetitions is not None:
            d.update(repetitions=self.repetitions, guide_repetitions=list(self.guide_repetitions),
                     status=self.status)
        return d


@dataclass(frozen=True)
class SpineRecord:
    """A spine line as the report writes it (image coordinates 0-1)."""
    head: tuple[float, float]
    sacrum: tuple[float, float]
    source: str
    confidence: float

    def to_dict(self) -> dict:
        return {"head": list(self.head), "sacrum": list(self.sacrum), "source": self.source,
                "confidence": self.confidence}


@dataclass(frozen=True)
class SpineChange:
    """Where one spine line of a session began (the line was changed mid-session)."""
    t: float | None
    line: SpineRecord

    def to_dict(self) -> dict:
        return {"t": self.t, **self.line.to_dict()}


@dataclass(frozen=True)
class SpineSummary:
    events: int                  # times a hand was over the spine
    seconds_over: float
    line: SpineRecord            # the (last) line the session was measured on
    changes: tuple[SpineChange, ...] | None = None  # only when the line was changed mid-session

    def to_dict(self) -> dict:
        d = {"events": self.events, "seconds_over": self.seconds_over, "line": self.line.to_dict()}
        if self.changes is not None:
            d["changes"] = [c.to_dict() for c in self.changes]
        return d


@dataclass(frozen=True)
class FrameRate:
    fps: float
    tapping_measurable_up_to_hz: float
    fast_tapping_aliased: bool

    def to_dict(self) -> dict:
        return {"fps": self.fps, "tapping_measurable_up_to_hz": self.tapping_measurable_up_to_hz,
                "fast_tapping_aliased": self.fast_tapping_aliased}


@dataclass(frozen=True)
class CameraNotes:
    """The camera check at the end of the session: its figures and what is wrong with the set-up."""
    figures: CameraFigures
    problems: tuple[CameraProblem, ...] = ()

    def to_dict(self) -> dict:
        return {"figures": self.figures.to_dict(), "problems": [p.to_dict() for p in self.problems]}


@dataclass(frozen=True)
class Summary:
    duration_s: float
    frames: int
    hands_seen_fraction: float
    seconds_per_label: Mapping[str, float]       # every label of guide.LABELS
    against_guide: Mapping[str, AgainstGuide]    # every technique the guide gives a time for
    effleurage: Effleurage
    petrissage: Petrissage
    tapotement: Tapotement
    lifting: Passes
    fanning: Passes
    twist: Passes
    unsure_fraction: float
    spine: SpineSummary
    contact_breaks: int
    seconds_no_hands: float      # no hand seen for longer than tracking bridges: no technique
    frame_rate: FrameRate
    camera: CameraNotes | None = None   # None in a live preview (finish() adds it)

    def __post_init__(self) -> None:
        object.__setattr__(self, "seconds_per_label", _frozen_map(self.seconds_per_label))
        object.__setattr__(self, "against_guide", _frozen_map(self.against_guide))

    def seconds(self, label: str) -> float:
        return float(self.seconds_per_label.get(label, 0.0))

    def to_dict(self) -> dict:
        d = {
            "duration_s": self.duration_s,
            "frames": self.frames,
            "hands_seen_fraction": self.hands_seen_fraction,
            "seconds_per_label": dict(self.seconds_per_label),
            "against_guide": {k: v.to_dict() for k, v in self.against_guide.items()},
            "effleurage": self.effleurage.to_dict(),
            "petrissage": self.petrissage.to_dict(),
            "tapotement": self.tapotement.to_dict(),
            "lifting": self.lifting.to_dict(),
            "fanning": self.fanning.to_dict(),
            "twist": self.twist.to_dict(),
            "unsure_fraction": self.unsure_fraction,
            "spine": self.spine.to_dict(),
            "contact_breaks": self.contact_breaks,
            "seconds_no_hands": self.seconds_no_hands,
            "frame_rate": self.frame_rate.to_dict(),
        }
        if self.camera is not None:
            d["camera"] = self.camera.to_dict()
        return d
