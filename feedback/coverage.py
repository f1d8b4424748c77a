"""Where the hands worked, in spine coordinates, per technique, and what the guide asks for that
was missed.

Coordinates as in spine.py: `along` 0 at the sacrum, 1 at the base of the neck (beyond 1 is the
neck); `across` in spine lengths, positive on the person's right. The guide asks petrissage and
tapotement "across the entire back" and effleurage "Don't forget the shoulders and neck area".

`HandTrace` records each analysed frame's hands (two slots, as the analyzer tracks them) so the
coverage and the flow measures (flow.py) can be computed when the session ends.
"""
from __future__ import annotations

from array import array
from dataclasses import dataclass

import numpy as np

from . import guide

ALONG_EDGES = np.round(np.arange(-0.1, 1.2 + 1e-9, 0.1), 3)    # 13 bands: below the sacrum .. neck
ACROSS_EDGES = np.round(np.arange(-0.4, 0.4 + 1e-9, 0.1), 3)   # 8 columns, spine lengths
NECK_END = 1.2  # the neck is drawn to this far beyond its base (spine lengths)


class HandTrace:
    """Per frame: time and (along, across) of hand slots 0 and 1 (NaN when not seen). About 40
    bytes a frame, kept in memory only."""

    def __init__(self) -> None:
        self._t = array("d")
        self._xy = array("d")

    def add(self, result) -> None:
        """One analyzer FrameResult (its .t and .hands with .slot, .along, .across)."""
        row = [np.nan] * 4
        for h in result.hands or ():
            if h.slot in (0, 1):
                row[2 * h.slot], row[2 * h.slot + 1] = float(h.along), float(h.across)
        self._t.append(float(result.t))
        self._xy.extend(row)

    def add_xy(self, t: float, hands: dict[int, tuple[float, float]]) -> None:
        row = [np.nan] * 4
        for slot, (a, c) in hands.items():
            row[2 * slot], row[2 * slot + 1] = a, c
        self._t.append(float(t))
        self._xy.extend(row)

    @property
    def t(self) -> np.ndarray:
        return np.frombuffer(self._t, dtype=np.float64).copy()

    @property
    def xy(self) -> np.ndarray:
        """(frames, 2 slots, 2) of (along, across)."""
        return np.frombuffer(self._xy, dtype=np.float64).reshape(-1, 2, 2).copy()

    def __len__(self) -> int:
        return len(self._t)


@dataclass(frozen=True)
class Zone:
    name: str
    along: tuple[float, float]
    side: str   # "left", "right" or "middle"


# The places the guide names, on either side of the spine (never on it).
BACK_ZONES = tuple(
    Zone(f"{part} ({side})", span, side)
    for part, span in (("lower back", (0.0, guide.LOWER_BACK_END)), ("mid back", (guide.LOWER_BACK_END, 0.8)),
                       ("upper back and shoulders", (0.8, guide.NECK_START)))
    for side in ("left", "right"))
NECK_ZONE = Zone("neck", (guide.NECK_START, NECK_END), "middle")
ASKED = {
    "effleurage": tuple(z for z in BACK_ZONES if z.along[0] >= 0.8) + (NECK_ZONE,),
    "petrissage": BACK_ZONES,
    "tapotement": BACK_ZONES,
}
ASKED_WHY = {
    "effleurage": "“Don't forget the shoulders and neck area.”",
    "petrissage": "“Go across the entire back.”",
    "tapotement": "“Across the person's entire back.”",
}
MIN_ZONE_S = 1.0       # hand-seconds in a zone for it to count as worked
MIN_ZONE_SHARE = 0.05  # ... or this share of the technique's hand-time, whichever is smaller


@dataclass(frozen=True)
class Coverage:
    seconds: dict[str, np.ndarray]         # technique -> (along bands, across columns) hand-seconds
    zone_seconds: dict[str, dict[str, float]]
    missed: dict[str, list[str]]           # technique -> zone names the guide asks for, not worked
    worked: dict[str, list[str]]

    def share_asked(self, technique: str) -> float | None:
        """Share of the zones the guide asks for this technique that were worked."""
        asked = ASKED.get(technique, ())
        if not asked or technique not in self.zone_seconds:
            return None
        return len(self.worked[technique]) / len(asked)

    def cells(self) -> list[dict]:
        """One row per (technique, cell) with any time: for drawing."""
        rows = []
        for name, grid in self.seconds.items():
            for i, j in zip(*np.nonzero(grid > 0)):
                rows.append({"technique": name, "along0": float(ALONG_EDGES[i]), "along1": float(ALONG_EDGES[i + 1]),
                             "across0": float(ACROSS_EDGES[j]), "across1": float(ACROSS_EDGES[j + 1]),
                             "seconds": float(grid[i, j])})
        return rows


def in_zone(along: np.ndarray, across: np.ndarray, zone: Zone, spine_band: float = 0.03) -> np.ndarray:
    a0, a1 = zone.along
    inside = (along >= a0) & (along < a1)
    if zone.side == "left":
        inside &= across < -spine_band
    elif zone.side == "right":
        inside &= across > spine_band
    else:
        inside &= np.abs(across) < 0.25
    return inside


def coverage(t: np.ndarray, xy: np.ndarray, labels: np.ndarray) -> Coverage:
    """Hand-seconds per place per technique. t: (n,), xy: (n, hands, 2), labels: (n,) per frame."""
    from .report import frame_durations

    t = np.asarray(t, float)
    labels = np.asarray(labels)
    dur = frame_durations(t) if len(t) else np.zeros(0)
    seconds, zone_seconds, missed, worked = {}, {}, {}, {}
    for name in guide.TECHNIQUES:
        sel = labels == name
        if not sel.any():
            continue
        pts = xy[sel].reshape(-1, 2)
        w = np.repeat(dur[sel], xy.shape[1])
        ok = np.isfinite(pts).all(axis=1)
        pts, w = pts[ok], w[ok]
        grid, _, _ = np.histogram2d(pts[:, 0], pts[:, 1], bins=[ALONG_EDGES, ACROSS_EDGES], weights=w)
        seconds[name] = grid
        zs = {z.name: float(w[in_zone(pts[:, 0], pts[:, 1], z)].sum()) for z in BACK_ZONES + (NECK_ZONE,)}
        zone_seconds[name] = zs
        need = min(MIN_ZONE_S, MIN_ZONE_SHARE * float(w.sum()))
        asked = ASKED.get(name, ())
        worked[name] = [z.name for z in asked if zs[z.name] >= need and zs[z.name] > 0]
        missed[name] = [z.name for z in asked if z.name not in worked[name]]
    return Coverage(seconds, zone_seconds, missed, worked)


def coverage_text(cov: Coverage) -> list[str]:
    """Plain sentences: for each technique done, what the guide asks for that was missed."""
    out = []
    for name in guide.TECHNIQUES:
        if name not in cov.missed or name not in ASKED_WHY:
            continue  # no places asked for this technique
        miss = cov.missed[name]
        if not miss:
            out.append(f"{name.capitalize()}: every place the guide asks for was worked ({ASKED_WHY[name]}).")
        else:
            out.append(f"{name.capitalize()}: not reached — {', '.join(miss)}. The guide: {ASKED_WHY[name]}")
    return out
