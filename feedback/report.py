"""The session report: per-frame labels, strokes, spine events, and a summary against the guide."""
from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass

import numpy as np

from . import guide
from .safety import SpineEvent
from .spine import SpineLine
from .strokes import Stroke
from .summary import (AgainstGuide, CameraNotes, Effleurage, FrameRate, Passes, Petrissage, SpineChange, SpineRecord,
                      SpineSummary, Summary, Tapotement)


def label_spans(labels: np.ndarray, name: str) -> list[tuple[int, int]]:
    """[start, end) index runs where labels == name."""
    mask = np.asarray(labels) == name
    d = np.diff(np.r_[0, mask.astype(np.int8), 0])
    return list(zip(np.flatnonzero(d == 1), np.flatnonzero(d == -1)))


def frame_durations(t: np.ndarray) -> np.ndarray:
    """Time each frame stands for: up to the next frame, capped so a stall is not counted."""
    if len(t) == 0:
        return np.zeros(0)
    dt = np.diff(t, append=t[-1])
    typical = float(np.median(dt[:-1])) if len(t) > 2 else 1 / 30
    dt[-1] = typical
    return np.minimum(dt, 4 * typical)


@dataclass
class SessionReport:
    t: np.ndarray
    labels: np.ndarray
    over_spine: np.ndarray
    strokes: list[Stroke]
    spine_events: list[SpineEvent]
    summary: Summary

    def to_dict(self) -> dict:
        return {
            "frames": [{"t": round(float(t), 4), "label": str(lab), "over_spine": bool(o)}
                       for t, lab, o in zip(self.t, self.labels, self.over_spine)],
            "strokes": [s.to_dict() for s in self.strokes],
            "spine_events": [e.to_dict() for e in self.spine_events],
            "summary": self.summary.to_dict(),
        }

    def to_json(self, indent: int | None = None) -> str:
        return json.dumps(self.to_dict(), indent=indent)

    def strokes_csv(self) -> str:
        cols = ["type", "start", "end", "duration", "hands", "direction", "phase", "length_spine",
                "speed_spine_per_s", "radius_palm", "tempo_hz", "rate_hz"]
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=cols, extrasaction="ignore")
        w.writeheader()
        for s in self.strokes:
            d = s.to_dict()
            d["hands"] = " ".join(d.get("hands", []))
            w.writerow(d)
        return buf.getvalue()

    def frames_csv(self) -> str:
        buf = io.StringIO()
        buf.write("t,label,over_spine\n")
        for t, lab, o in zip(self.t, self.labels, self.over_spine):
            buf.write(f"{t:.4f},{lab},{int(o)}\n")
        return buf.getvalue()


def technique_time(t: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    dur = frame_durations(t)
    return {name: float(dur[np.asarray(labels) == name].sum()) for name in guide.LABELS}


def against_guide(seconds: dict[str, float]) -> dict[str, AgainstGuide]:
    """Time per technique against the guide's range: short, in range, or long."""
    out = {}
    for name, target in guide.TARGETS.items():
        s = seconds.get(name, 0.0)
        status = "short" if s < target.min_s else "long" if s > target.max_s else "in range"
        out[name] = AgainstGuide(round(s, 1), target.min_s, target.max_s, status)
    return out


def summarise(t: np.ndarray, labels: np.ndarray, over: np.ndarray, nhands: np.ndarray,
              strokes: list[Stroke], events: list[SpineEvent], spine: SpineLine,
              camera: CameraNotes | None = None, changes: tuple[SpineChange, ...] | None = None) -> SessionReport:
    """The report, its summary built here and only here (the camera check and the spine line's
    changes come from the analyzer, which alone knows them)."""
    seconds = technique_time(t, labels)
    eff = [s for s in strokes if s.type == "effleurage"]
    pressing = [s for s in eff if s.phase == "stroke"]
    dur = frame_durations(t)
    # Contact breaks: stretches with no hand seen longer than the guide's tolerance.
    breaks = 0
    for a, b in label_spans(np.where(nhands == 0, "none", "hand"), "none"):
        if t[b - 1] - t[a] + dur[b - 1] >= guide.CONTACT_GAP_S:
            breaks += 1
    summary = Summary(
        duration_s=round(float(t[-1] - t[0] + dur[-1]) if len(t) else 0.0, 3),
        frames=int(len(t)),
        hands_seen_fraction=round(float((nhands > 0).mean()) if len(t) else 0.0, 4),
        seconds_per_label={k: round(v, 2) for k, v in seconds.items()},
        against_guide=against_guide(seconds),
        effleurage=Effleurage(
            strokes=len(pressing),
            up=sum(s.direction == "up" for s in pressing),
            down_wrong_way=sum(s.direction == "down" for s in pressing),
            returns=sum(s.phase == "return" for s in eff),
            moves=sum(s.phase == "move" for s in eff),
            mean_length_spine=_mean([s.length for s in pressing]),
            mean_duration_s=_mean([s.duration for s in pressing]),
        ),
        petrissage=Petrissage(
            bouts=sum(s.type == "petrissage" for s in strokes),
            median_radius_palm=_median([s.radius for s in strokes if s.type == "petrissage"]),
            median_tempo_hz=_median([s.tempo_hz for s in strokes if s.type == "petrissage"]),
        ),
        tapotement=Tapotement(
            bouts=sum(s.type == "tapotement" for s in strokes),
            median_rate_hz=_median([s.rate_hz for s in strokes if s.type == "tapotement"]),
        ),
        lifting=_passes(strokes, "lifting"),
        fanning=_passes(strokes, "fanning"),
        twist=_passes(strokes, "twist"),
        unsure_fraction=round(float(dur[np.asarray(labels) == "unsure"].sum() / max(dur.sum(), 1e-9)), 4)
        if len(t) else 0.0,
        spine=SpineSummary(
            events=len(events),
            seconds_over=round(float(dur[np.asarray(over, bool)].sum()) if len(t) else 0.0, 2),
            line=spine_record(spine),
            changes=changes,
        ),
        contact_breaks=breaks,
        # Time with no hand seen for longer than tracking bridges: counted apart, as no technique.
        seconds_no_hands=round(seconds.get("no_hands", 0.0), 2),
        # What the frame rate allows: tapping faster than half of it is aliased (guide: 2-12 Hz
        # taps need 24 fps); below that, fast tapping may be reported as "unsure".
        frame_rate=_frame_rate(t),
        camera=camera,
    )
    return SessionReport(t, labels, over, strokes, events, summary)


def _frame_rate(t: np.ndarray) -> FrameRate:
    fps = 1.0 / float(np.median(np.diff(t))) if len(t) > 2 else 0.0
    return FrameRate(fps=round(fps, 1), tapping_measurable_up_to_hz=round(fps / 2, 1),
                     fast_tapping_aliased=bool(0 < fps < 24.0))


def spine_record(spine: SpineLine) -> SpineRecord:
    return SpineRecord(tuple(spine.head), tuple(spine.sacrum), spine.source, round(spine.confidence, 3))


def _passes(strokes: list[Stroke], name: str) -> Passes:
    """Bouts, one-way passes up or down the back, and repetitions (up and back down) against the
    guide's count where it gives one (guide.REPETITIONS)."""
    passes = sum(s.passes or 0 for s in strokes if s.type == name)
    bouts = sum(s.type == name for s in strokes)
    if name not in guide.REPETITIONS:
        return Passes(bouts, passes)
    lo, hi = guide.REPETITIONS[name]
    reps = passes // 2
    return Passes(bouts, passes, repetitions=reps, guide_repetitions=(lo, hi),
                  status="short" if reps < lo else "long" if reps > hi else "in range")


def _mean(xs) -> float | None:
    xs = [x for x in xs if x is not None]
    return round(float(np.mean(xs)), 3) if xs else None


def _median(xs) -> float | None:
    xs = [x for x in xs if x is not None]
    return round(float(np.median(xs)), 3) if xs else None
