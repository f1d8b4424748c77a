"""The session told the way a coach would: a few plain sentences with times and places, and the
moments (spine alerts, wrong-way glides, contact breaks, cues, strokes) a learner can jump to.

Pure Python on a SessionReport's fields: no Streamlit, no video. Times are m:ss of the video;
places are the spine event's region ("lower back", "mid back", "upper back and shoulders").
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import guide
from .labels import hands_text
from .report import frame_durations, label_spans


def plural(n: int, one: str, many: str | None = None) -> str:
    """'1 time', '2 times', '0 glides'."""
    return f"{n} {one if n == 1 else (many or one + 's')}"


def mmss(seconds: float | None) -> str:
    if seconds is None or not np.isfinite(seconds):
        return "–"
    m, s = divmod(int(max(0.0, float(seconds))), 60)  # floor: a moment at 28.9 s is shown in 0:28
    return f"{m}:{s:02d}"


def span_text(start: float, end: float | None) -> str:
    """'0:28-0:30', or '0:28' when both ends fall in the same second."""
    a, b = mmss(start), mmss(end if end is not None else start)
    return a if a == b else f"{a}-{b}"


def share_text(x: float) -> str:
    """A share as a person says it: whole percent, '<1%' rather than '0%' for a little."""
    if x <= 0:
        return "0%"
    if x < 0.01:
        return "<1%"
    return f"{round(100 * x):d}%"


@dataclass(frozen=True)
class Moment:
    """Something worth seeing again in the video."""

    start: float
    end: float
    kind: str       # "spine", "wrong_way", "contact", "cue", "stroke"
    severity: str   # "alert", "warn", "info", "ok"
    text: str

    @property
    def when(self) -> str:
        return span_text(self.start, self.end)


def _who(hands) -> str:
    return hands_text(hands) or ("both hands" if len(hands or ()) >= 2 else "a hand")


def spine_moments(report) -> list[Moment]:
    out = []
    t_end = float(report.t[-1]) if len(report.t) else 0.0
    for e in report.spine_events:
        d = e.to_dict()
        end = d["end"] if d["end"] is not None else t_end
        out.append(Moment(float(e.start), float(end), "spine", "alert",
                          f"{_who(e.hands).capitalize()} on the spine over the {d['region']}"))
    return out


def wrong_way_moments(report) -> list[Moment]:
    return [Moment(s.start, s.end, "wrong_way", "warn", "Pressing glide down toward the hips (press on the way up)")
            for s in report.strokes if s.type == "effleurage" and s.phase == "stroke" and s.direction == "down"]


def stroke_moments(report) -> list[Moment]:
    out = []
    for s in report.strokes:
        if s.type == "effleurage":
            if s.phase == "return":
                what = "light return down the outside"
            elif s.phase == "move":
                what = "hands moving down (not counted as a stroke)"
            else:
                what = f"pressing glide {'up toward the heart' if s.direction == 'up' else 'down (the wrong way)'}"
            if s.length:
                what += f", {s.length:.0%} of the spine"
            out.append(Moment(s.start, s.end, "stroke", "ok" if s.direction == "up" or s.phase != "stroke"
                              else "warn", f"Effleurage: {what}"))
        elif s.type == "petrissage":
            extra = f", {s.tempo_hz * 60:.0f} circles a minute" if s.tempo_hz else ""
            out.append(Moment(s.start, s.end, "stroke", "info", f"Petrissage{_bout_hands(s)}{extra}"))
        elif s.type == "tapotement":
            extra = f", {s.rate_hz:.1f} taps a second" if s.rate_hz else ""
            out.append(Moment(s.start, s.end, "stroke", "info", f"Tapotement{_bout_hands(s)}{extra}"))
        else:
            out.append(Moment(s.start, s.end, "stroke", "info", s.type.capitalize()))
    return out


def _bout_hands(s) -> str:
    words = hands_text(s.hands)
    return f", {words}" if words else ""


def cue_moments(cues) -> list[Moment]:
    """cues: (t, text, severity) as the review keeps them."""
    return [Moment(float(t), float(t), "cue", sev if sev in ("alert", "warn", "info") else "info", f"Cue: {text}")
            for t, text, sev in (cues or [])]


def contact_moments(breaks) -> list[Moment]:
    """breaks: (start, end) stretches with no hand on the back (flow.contact_breaks)."""
    return [Moment(a, b, "contact", "warn", f"No hand on the back for {b - a:.1f} s") for a, b in breaks]


def moments(report, cues=None, breaks=None, kinds=("spine", "wrong_way", "contact", "cue", "stroke")) -> list[Moment]:
    """Every moment worth seeing again, in time order (the most severe first at the same time)."""
    found = []
    if "spine" in kinds:
        found += spine_moments(report)
    if "wrong_way" in kinds:
        found += wrong_way_moments(report)
    if "contact" in kinds:
        found += contact_moments(breaks or [])
    if "cue" in kinds:
        found += cue_moments(cues)
    if "stroke" in kinds:
        found += stroke_moments(report)
    rank = {"alert": 0, "warn": 1, "info": 2, "ok": 3}
    return sorted(found, key=lambda m: (m.start, rank.get(m.severity, 9)))


def technique_runs(report, min_s: float = 1.0) -> list[tuple[str, float, float]]:
    """(technique, start, end) of each run of one technique lasting at least min_s."""
    t = np.asarray(report.t, float)
    if not len(t):
        return []
    dur = frame_durations(t)
    runs = []
    for name in guide.TECHNIQUES:
        for a, b in label_spans(report.labels, name):
            start, end = float(t[a]), float(t[b - 1] + dur[b - 1])
            if end - start >= min_s:
                runs.append((name, start, end))
    return sorted(runs, key=lambda r: r[1])


def summary(report, breaks=None) -> list[tuple[str, str]]:
    """(severity, sentence): what happened, in plain words, most important first. `breaks` are
    the contact breaks (start, end) when known; no contact advice when no hand was ever seen
    (then there is nothing to coach but the camera)."""
    s = report.summary
    seen = s.hands_seen_fraction
    if not len(report.t):
        return [("info", "Nothing was measured: no frame was analysed.")]
    if seen == 0:
        return [("info", "No hands were found in this video, so there is nothing to coach yet. Film from above "
                         "or from the side with the whole back and both hands in view, in good light.")]
    out: list[tuple[str, str]] = []
    spine = spine_moments(report)
    if spine:
        where = "; ".join(f"{m.when}, {m.text[0].lower() + m.text[1:]}" for m in spine[:4])
        more = f" (and {plural(len(spine) - 4, 'more time')})" if len(spine) > 4 else ""
        out.append(("alert", f"Hands were over the spine {plural(len(spine), 'time')}: {where}{more}. "
                             f"{guide.SAFETY_RULES[0]}"))
    n_up, n_down = s.effleurage.up, s.effleurage.down_wrong_way
    if n_down:
        when = ", ".join(m.when for m in wrong_way_moments(report)[:4])
        out.append(("warn", f"{plural(n_down, 'pressing glide')} went down toward the hips ({when}). Press on the "
                            "way up, toward the heart, and come back down lightly along the outside of the back."))
    if breaks:
        when = ", ".join(span_text(a, b) for a, b in breaks[:4])
        out.append(("warn", f"No hand was on the back {plural(len(breaks), 'time')} ({when}), each for more than "
                            f"{guide.CONTACT_GAP_S:g} s. {guide.SAFETY_RULES[3]}"))
    if 0 < seen < 0.6:
        out.append(("info", f"Hands were seen in only {share_text(seen)} of the video. Place the camera so it "
                            "sees the whole back and both hands from above or from the side."))
    runs = technique_runs(report)
    if runs:
        parts = [f"{name} {mmss(s.seconds(name))}" for name in guide.TECHNIQUES if s.seconds(name) >= 1]
        order = []
        for name, _, _ in runs:
            if not order or order[-1] != name:
                order.append(name)
        out.append(("info", f"You worked for {mmss(s.duration_s)}: " + ", ".join(parts)
                    + ". In order: " + " → ".join(order) + "."))
    if n_up and not n_down:
        out.append(("ok", "The pressing glide went upward, toward the heart." if n_up == 1 else
                          f"All {n_up} pressing glides went upward, toward the heart."))
    return out
