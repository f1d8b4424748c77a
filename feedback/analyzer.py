"""One incremental analyzer for live frames and whole recordings.

`push` takes one frame of hand landmarks and returns what is known now (the technique in
progress, whether a hand is over the spine); `finish` returns the session's report. A
recording is analysed by pushing its frames in order and finishing, so the command line, the
app's review page and its live page all run exactly this code.

Final per-frame labels use a window centred on the frame (decided half a window later), so a
report labels transitions where they happen; the live label is the causal one.
"""
from __future__ import annotations

import math
from array import array
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Mapping

import numpy as np

from tracker.types import FINGERTIPS, HandFrame

from . import guide
from .camera_check import CameraWatch, check, palm_widths_px
from .labels import HAND_SIDES, HandSide, Label, side_of
from .report import SessionReport, label_spans, spine_record, summarise
from .safety import SafetyParams, SpineGuard, bounce_count
from .spine import SpineLine
from .summary import CameraNotes, SpineChange
from .strokes import GlideTracker, Stroke, StrokeParams, agreed_phase, further_out, mark_returns, merge_hands, same_stroke
from .technique import ClassifierParams, HandWindow, PairWindow, _median, combine, pair_features, window_features
from .tracks import ACROSS, ALONG, BRIDGE_GAP_S, SIZE, Y, HandSample, HandTracks

LABEL_CODES = {name: i for i, name in enumerate(guide.LABELS)}
_FEATS = 5
# Partial glides are not strokes: a glide under way when its hand came into view (at the start
# of a recording, or when tracking found the hand again after losing it: the glide starts
# within EDGE_S of the hand's first sample) or still under way at the last frame is cut, its
# length and direction unknown whole. The one rule, live and in the report.
EDGE_S = 0.2  # measures kept per hand and decision (see SessionAnalyzer._dec_feats)


@dataclass(frozen=True)
class AnalyzerOptions:
    classifier: ClassifierParams = ClassifierParams()
    safety: SafetyParams = SafetyParams()
    strokes: StrokeParams = StrokeParams()
    hop_s: float = 0.2           # how often the technique is decided
    live_confirm: int = 2        # decisions a new live label must win in a row
    smooth_decisions: int = 5    # width of the final majority filter over decisions
    min_segment_s: float = 0.6   # shorter final label runs are absorbed by their neighbours
    label_delay_s: float = 0.8   # final labels: the decision made this long after the frame
    min_bout_glides: int = 2     # final labels: effleurage needs a glide and the way back,
    move_max_s: float = 2.5      # in stretches up to this long (moves take 0.5-1.5 s)


@dataclass(frozen=True)
class HandState:
    slot: int
    side: HandSide     # "left" or "right" of the spine (the person's sides)
    x: float           # palm centre, normalised image coordinates
    y: float
    along: float
    across: float
    spine_dist: float  # palm sizes


@dataclass(frozen=True)
class FrameResult:
    """What is known at one frame. Frozen, and its parts are copies: a result handed out (to be
    drawn in another thread, or kept) never changes while the analyzer moves on or finishes."""

    t: float
    label: Label                    # live technique (causal)
    over_spine: bool
    hands: tuple[HandState, ...] = ()
    stroke: Stroke | None = None    # a glide that has just ended, if any (a copy)
    raw: HandFrame | None = None    # the landmarks this came from (for drawing)
    # Live stroke counts as of this frame.
    counts: Mapping[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "hands", tuple(self.hands))
        object.__setattr__(self, "counts", MappingProxyType(dict(self.counts)))


class SessionAnalyzer:
    def __init__(self, spine: SpineLine, options: AnalyzerOptions | None = None,
                 camera: CameraWatch | None = None) -> None:
        self.spine = spine
        self.o = options or AnalyzerOptions()
        self._spine_px = spine.length_px
        hx, hy = spine.head[0] * spine.width, spine.head[1] * spine.height
        sx, sy = spine.sacrum[0] * spine.width, spine.sacrum[1] * spine.height
        self._axis = (hx - sx, hy - sy, math.hypot(hx - sx, hy - sy))
        self.tracks = HandTracks()
        self.guard = SpineGuard(self.o.safety)
        self.glide = [GlideTracker(0, self.o.strokes), GlideTracker(1, self.o.strokes)]
        self.glides: list[Stroke] = []
        # The session's record, kept compact (about 10 bytes a frame and 40 a decision) so a live
        # session can be reviewed when it stops: about 2 MB an hour at 30 fps.
        self._t = array("d")
        self._over = bytearray()
        self._nhands = bytearray()
        self._sides = bytearray()  # per frame, each slot's side: 0 unseen, 1 left, 2 right (slot 1 << 2)
        self._dec_t = array("d")
        self._dec_label = bytearray()
        self._dec_feats = array("f")  # per decision, per hand (_FEATS): label code, radius, tempo, tap rate, along
        self._next_decision = None
        self._slot_label = ["absent", "absent"]  # each hand's technique at the last decision
        self._twisting = False                   # the last decision saw a twist
        self.live_label = "idle"
        self._pending_label = None
        self._pending_count = 0
        self.counts = {"effleurage_up": 0, "effleurage_down": 0, "returns": 0}
        self._live_glides: list[Stroke] = []   # recent glides, for judging new ones live
        self._pending: dict[int, Stroke] = {}  # a glide waiting for one of the other direction
        self._judged: list[Stroke] = []
        self._last_t = -np.inf
        self._slot_side = ["right", "right"]  # each hand's side of the spine when last seen
        self._report: SessionReport | None = None
        # Figures for the camera check (brightness is added by the caller); one watch may be shared
        # by the parts of a session whose spine line changed (join_segments).
        self.camera = camera if camera is not None else CameraWatch()
        self._last_hand_t = -np.inf  # when a hand was last seen
        self._slot_began = [-np.inf, -np.inf]  # when each hand's glide tracker took its first sample

    @property
    def frames(self) -> int:
        """Frames pushed so far."""
        return len(self._t)

    # -- per frame ---------------------------------------------------------------------------
    def _sample(self, lm: np.ndarray) -> HandSample:
        """The measures of one hand, in plain floats and written out: this runs for every hand
        of every frame, where numpy's per-call cost would outweigh 21 points of work."""
        w, h = self.spine.width, self.spine.height
        p = lm.tolist()
        # The palm ring: wrist and the knuckles of the index, middle, ring and little fingers.
        x0, y0 = p[0][0] * w, p[0][1] * h
        x1, y1 = p[5][0] * w, p[5][1] * h
        x2, y2 = p[9][0] * w, p[9][1] * h
        x3, y3 = p[13][0] * w, p[13][1] * h
        x4, y4 = p[17][0] * w, p[17][1] * h
        cx = (x0 + x1 + x2 + x3 + x4) / 5
        cy = (y0 + y1 + y2 + y3 + y4) / 5
        # Shoelace area of the ring: the same palm size as spine.palm_size_px.
        area = (x0 * y1 - x1 * y0) + (x1 * y2 - x2 * y1) + (x2 * y3 - x3 * y2) + (x3 * y4 - x4 * y3) \
            + (x4 * y0 - x0 * y4)
        size = max(math.sqrt(abs(area) / 2), 1e-6)
        hyp = math.hypot
        a, b, c, d = p[FINGERTIPS[0]], p[FINGERTIPS[1]], p[FINGERTIPS[2]], p[FINGERTIPS[3]]
        ext = (hyp(a[0] * w - x0, a[1] * h - y0) + hyp(b[0] * w - x0, b[1] * h - y0)
               + hyp(c[0] * w - x0, c[1] * h - y0) + hyp(d[0] * w - x0, d[1] * h - y0)) / (4 * size)
        tip_x = ((a[0] + b[0] + c[0] + d[0]) * w / 4 - cx) / size
        tip_y = ((a[1] + b[1] + c[1] + d[1]) * h / 4 - cy) / size
        along, across = self.spine.point_to_back(cx, cy)
        # Where the fingers point, as a unit vector in the spine's frame (fanning points to the feet).
        ax, ay, l2 = self._axis
        dx, dy = x2 - x0, y2 - y0
        n = math.sqrt(dx * dx + dy * dy) * l2 + 1e-9
        dist = abs(across) * self._spine_px / size
        th = p[4]  # the thumb tip: thumb kneading circles it with the palm still
        return HandSample(cx, cy, along, across, size, ext, dist, tip_x, tip_y,
                          (dx * ax + dy * ay) / n, -(ay * dx - ax * dy) / n, (th[0] * w - cx) / size, (th[1] * h - cy) / size)

    def push(self, frame: HandFrame) -> FrameResult:
        if self._report is not None:
            raise RuntimeError("this session is finished: push() after finish() (start a new SessionAnalyzer)")
        t = float(frame.t)
        if t <= self._last_t:  # duplicate or out-of-order timestamp: nudge, never reorder
            t = self._last_t + 1e-4
        self._last_t = t
        samples = [self._sample(h.landmarks) for h in frame.hands]
        assigned = self.tracks.assign(t, samples)
        self.camera.add(t, palm_widths_px(frame, self.spine.width, self.spine.height))
        states = []
        ended = None
        for slot, s in assigned:
            side = side_of(s.across)
            self._slot_side[slot] = side
            states.append(HandState(slot, side, s.x / self.spine.width, s.y / self.spine.height, s.along,
                                    s.across, s.spine_dist))
            if self.glide[slot]._start is None:
                self._slot_began[slot] = t  # this hand's run of samples (a new glide tracker) begins
            g = self.glide[slot].update(t, s.along, s.across)
            if g is not None and g.start - self._slot_began[slot] <= EDGE_S:
                g = None  # under way when the hand came into view: a partial glide (see EDGE_S)
            if g is not None:
                g.hands = [side]
                self.glides.append(g)
                # Kneading and tapping travel along the back too: only effleurage has glides.
                if self.live_label == "effleurage":
                    ended = self._count_live(g) or ended
        for slot in (0, 1):
            if not self.tracks.slots[slot].alive(t, self.tracks.max_gap_s):
                self.glide[slot].reset()
        over = self.guard.update(t, [self._safety_input(t, st) for st in states])
        if states:
            self._last_hand_t = t
            if self.live_label == "no_hands":  # hands are back; their technique is not known yet
                self.live_label, self._pending_label, self._pending_count = "idle", None, 0
        elif t - self._last_hand_t > BRIDGE_GAP_S:
            # Lost for longer than tracking bridges: claim no technique and no alert.
            self.live_label, self._pending_label, self._pending_count = "no_hands", None, 0
            over = False
        if self._next_decision is None:
            self._next_decision = t
        if t >= self._next_decision:
            self._decide(t)
            self._next_decision = (np.floor(t / self.o.hop_s) + 1) * self.o.hop_s
        self._t.append(t)
        self._over.append(over)
        self._nhands.append(min(len(states), 255))
        self._sides.append(sum((1 + HAND_SIDES.index(st.side)) << (2 * st.slot) for st in states if st.slot in (0, 1)))
        # A copy of the glide: the live judge may still re-judge it when the other hand's glide ends,
        # and a result once handed out does not change.
        return FrameResult(t, self.live_label, over, tuple(states),
                           replace(ended, hands=list(ended.hands)) if ended else None, frame, self.counts)

    def _safety_input(self, t: float, st: HandState) -> tuple:
        """Where a hand touches the back. A tapping hand spends most of its time in the air, and
        seen obliquely a lifted hand appears shifted (parallax), so take it at its last contact:
        the lowest point in the image over the last tap cycle (lifting moves a point up)."""
        slot = self.tracks.slots[st.slot]
        # Tapping: bouncing, labelled or not (see SafetyParams.bounce_*).
        hist = slot.window(t - self.o.safety.bounce_window_s)
        turns = bounce_count(hist[:, Y], hist[:, SIZE], self.o.safety)
        tapping = turns >= self.o.safety.bounce_turns or (
            self._slot_label[st.slot] == "tapotement" and turns >= self.o.safety.labelled_bounce_turns)
        if not tapping:
            return st.slot, st.spine_dist, 0.0 <= st.along <= 1.0, st.along, False, self._twisting
        recent = slot.window(t - self.o.safety.contact_window_s)
        row = recent[int(np.argmax(recent[:, Y]))]
        dist = abs(row[ACROSS]) * self._spine_px / max(row[SIZE], 1e-6)
        return st.slot, dist, 0.0 <= row[ALONG] <= 1.0, row[ALONG], True

    def _decide(self, t: float) -> None:
        p = self.o.classifier
        if self._dec_t and t - self._last_hand_t > self.o.hop_s:
            # No hand since the last decision: a window of stale samples is no evidence, so the
            # last decision holds through the bridged gap (after it, push() says "no hands").
            self._dec_t.append(t)
            self._dec_label.append(self._dec_label[-1])
            self._dec_feats.extend(self._dec_feats[-2 * _FEATS:])
            return
        span = max(p.window_s, p.travel_window_s)
        alive = [s.alive(t, self.tracks.max_gap_s) for s in self.tracks.slots]
        hists = [s.window(t - span) if a else None for s, a in zip(self.tracks.slots, alive)]
        recent = np.frombuffer(self._t, dtype=np.float64)[-60:]  # the stream's frame rate (aliasing)
        fps = 1.0 / max(_median(np.diff(recent)), 1e-6) if len(recent) > 4 else None
        wins = tuple(window_features(h, t, p, fps) if h is not None else HandWindow("absent", 0.0) for h in hists)
        # Both hands moving: the pair may show a twist or hands alternating (see pair_features).
        moving = all(w.label not in ("absent", "idle") for w in wins)
        pair = pair_features(hists[0], hists[1], t, p, (wins[0].radius, wins[1].radius)) if moving else PairWindow()
        label = combine(list(wins), pair, p)
        self._twisting = label == "twist"
        self._slot_label = [w.label for w in wins]
        self._dec_t.append(t)
        self._dec_label.append(LABEL_CODES[label])
        for w in wins:
            self._dec_feats.extend((LABEL_CODES.get(w.label, -1), w.radius, w.knead_hz, w.tap_hz, w.along))
        if self.live_label == "no_hands":
            return  # push() leaves "no hands" when a hand is seen again
        if label == self.live_label:
            self._pending_label, self._pending_count = None, 0
        elif label == self._pending_label:
            self._pending_count += 1
            if self._pending_count >= self.o.live_confirm:
                self.live_label, self._pending_label, self._pending_count = label, None, 0
        else:
            self._pending_label, self._pending_count = label, 1
            if self.o.live_confirm <= 1:
                self.live_label = label

    def _count_live(self, g: Stroke) -> Stroke | None:
        """Live stroke counts. A glide is judged against the same hand's glides of the other
        direction (the one further from the spine is the return, as in `mark_returns`); until
        there is one to compare with, it waits. Returns the glide just judged, if any."""
        judged = None
        opposite = [s for s in self._live_glides[-6:] if s.slot == g.slot and s.direction != g.direction]
        if opposite:
            judged = self._judge(g, opposite[-2:])
        else:
            self._pending[g.slot] = g
        waiting = self._pending.get(g.slot)
        if waiting is not None and waiting is not g and waiting.direction != g.direction:
            self._pending.pop(g.slot)
            judged = self._judge(waiting, [g]) if judged is None else judged
        self._live_glides.append(g)
        del self._live_glides[:-12]
        return judged

    def _judge(self, g: Stroke, others: list[Stroke]) -> Stroke:
        p = self.o.strokes
        if further_out(g.across, [o.across for o in others], p):
            g.phase = "return"
        elif g.direction == "down" and not any(further_out(o.across, [g.across], p) for o in others):
            g.phase = "move"  # as in mark_returns: no return beside it shows which way was pressed
        else:
            g.phase = "stroke"
        # Both hands glide together: count a stroke once, in the phase both hands agree on (as
        # in the report: one hand alone does not make a glide down the wrong way).
        twin = next((s for s in reversed(self._judged[-3:]) if s.slot != g.slot and same_stroke(s, g, p)), None)
        if twin is None:
            self._count(g, +1)
        elif twin.phase != g.phase:
            agreed = agreed_phase(twin, g)
            if agreed != twin.phase:  # re-judged now that the other hand is in
                self._count(twin, -1)
                twin.phase = agreed
                self._count(twin, +1)
            g.phase = agreed
        self._judged.append(g)
        del self._judged[:-6]
        return g

    def _count(self, g: Stroke, step: int) -> None:
        if g.phase != "move":
            self.counts["returns" if g.is_return else "effleurage_" + g.direction] += step

    # -- whole session -----------------------------------------------------------------------
    def final_labels(self) -> np.ndarray:
        """Label codes per frame from windows centred on each frame, smoothed. Frames more than
        BRIDGE_GAP_S after the last hand seen are "no_hands"; a frame just before such a loss
        takes the last decision made before it (not one made while no hand was there)."""
        t = np.frombuffer(self._t, dtype=np.float64)
        lost = self.lost_mask()
        if not len(self._dec_t):
            return np.where(lost, LABEL_CODES["no_hands"], LABEL_CODES["idle"]).astype(np.int8)
        dec = _smooth_codes(np.frombuffer(self._dec_label, dtype=np.uint8).astype(np.int8), self.o.smooth_decisions,
                            max(1, int(round(self.o.min_segment_s / self.o.hop_s))))
        dec_t = np.frombuffer(self._dec_t, dtype=np.float64)
        # Time of the next lost frame at or after each frame (inf when none follows).
        next_lost = np.minimum.accumulate(np.where(lost, t, np.inf)[::-1])[::-1]
        ahead = t + self.o.label_delay_s
        idx = np.where(next_lost <= ahead, np.searchsorted(dec_t, next_lost) - 1, np.searchsorted(dec_t, ahead))
        codes = dec[np.clip(idx, 0, len(dec) - 1)]
        codes[lost] = LABEL_CODES["no_hands"]
        return codes

    def lost_mask(self) -> np.ndarray:
        """Per frame: no hand seen for more than BRIDGE_GAP_S, or none seen yet (there is nothing
        to bridge before the first hand)."""
        t = np.frombuffer(self._t, dtype=np.float64)
        if not len(t):
            return np.zeros(0, bool)
        n = np.frombuffer(self._nhands, dtype=np.uint8)
        seen_t = np.maximum.accumulate(np.where(n > 0, t, -np.inf))
        return t - seen_t > BRIDGE_GAP_S

    def finish(self) -> SessionReport:
        """The session's report. Repeatable (the same report each time); no push() after it."""
        if self._report is not None:
            return self._report
        self.guard.close(self._t[-1] if self._t else 0.0)
        report = self._report_now(list(self.guard.events))
        figures = self.camera.figures((tuple(self.spine.head), tuple(self.spine.sacrum)))
        report.summary = replace(report.summary, camera=CameraNotes(figures, tuple(check(figures))))
        for a in (report.t, report.labels, report.over_spine):
            a.setflags(write=False)  # handed out: the same report on every finish()
        self._report = report
        return report

    def preview(self) -> SessionReport:
        """The report as it would be if the session finished now, by the same code as finish()
        (the live counters come from it, so at the end they are the report's figures); the
        session goes on. Costs about a finish(): call it now and then, not every frame."""
        if self._report is not None:
            return self._report
        events = list(self.guard.events)
        if self.guard.active is not None:  # finish() closes it at the last frame: count it as closed
            events.append(replace(self.guard.active, end=self._t[-1], slots=set(self.guard.active.slots)))
        return self._report_now(events)

    def _report_now(self, events: list) -> SessionReport:
        # Glides still under way now are cut by the end: partial, not counted (see EDGE_S).
        t = np.frombuffer(self._t, dtype=np.float64).copy()
        codes = self.final_labels()
        labels = np.asarray(guide.LABELS, dtype=object)[codes] if len(codes) else np.array([], dtype=object)
        self._moves_are_not_effleurage(t, labels)
        # Copies: the report's own strokes, so that judging them leaves the live ones as handed out.
        glides = [replace(g, hands=list(g.hands)) for g in self.glides
                  if _share(t, labels, g.start, g.end, "effleurage") >= 0.5]
        mark_returns(glides, self.o.strokes)
        strokes = merge_hands(glides, self.o.strokes) + self._technique_spans(t, labels)
        strokes.sort(key=lambda s: s.start)
        events = [self._named(e, t) for e in events]
        return summarise(t, labels, np.frombuffer(self._over, dtype=np.uint8).astype(bool),
                         np.frombuffer(self._nhands, dtype=np.uint8).astype(int), strokes, events, self.spine)

    def _side(self, slot: int, a: int, b: int) -> HandSide | None:
        """The side of the spine hand `slot` was on most in frames [a, b) (None: not seen)."""
        codes = (np.frombuffer(self._sides, dtype=np.uint8)[a:b] >> (2 * slot)) & 3
        codes = codes[codes > 0]
        return HAND_SIDES[int(np.bincount(codes, minlength=3)[1:].argmax())] if len(codes) else None

    def _named(self, e, t: np.ndarray):
        """A spine event with its hands named by the side each came from (the second before it
        began: over the spine the side flips from frame to frame), one entry a hand."""
        b = max(int(np.searchsorted(t, e.start)), 1)
        a = min(int(np.searchsorted(t, e.start - 1.0)), b - 1)
        sides = [self._side(slot, a, b) for slot in sorted(e.slots)]
        return replace(e, hands=sorted(s for s in sides if s is not None), slots=set(e.slots))

    def _moves_are_not_effleurage(self, t: np.ndarray, labels: np.ndarray) -> None:
        """Effleurage is repeated glides, a glide up and the way back ("Repeat this technique"):
        a short stretch with fewer than two glides in it is a move to a new place ("other")."""
        for a, b in label_spans(labels, "effleurage"):
            start, end = float(t[a]), float(t[b - 1])
            if end - start > self.o.move_max_s:
                continue
            inside = [sum(1 for g in self.glides if g.slot == slot and min(g.end, end) - max(g.start, start)
                          > 0.5 * g.duration) for slot in (0, 1)]
            if max(inside) < self.o.min_bout_glides:
                # Between two stretches of tapping it is the hands moving on while they tap
                # (tapping works its way over the back without stopping), not a move to another
                # technique. (Kneading hands lift and move to a new place: there it stays "other";
                # on family a's final split the rule for every technique cost petrissage 0.004 F1.)
                before = labels[a - 1] if a > 0 else None
                after = labels[b] if b < len(labels) else None
                labels[a:b] = "tapotement" if before == after == "tapotement" else "other"

    def _technique_spans(self, t: np.ndarray, labels: np.ndarray) -> list[Stroke]:
        """Kneading and tapping bouts, with tempo, radius and rate from the decisions inside."""
        out = []
        dec_t = np.frombuffer(self._dec_t, dtype=np.float64) - self.o.label_delay_s  # frames each labels
        feats = np.frombuffer(self._dec_feats, dtype=np.float32).reshape(-1, 2, _FEATS)
        for name in ("petrissage", "tapotement", "lifting", "fanning", "twist"):
            code = LABEL_CODES[name]
            for a, b in label_spans(labels, name):
                start, end = float(t[a]), float(t[b - 1])
                if end - start < 1.0:
                    continue
                f = feats[(dec_t >= start) & (dec_t <= end)]
                mine = f[..., 0] == code  # (decisions, hands) that were doing this technique
                doing = mine.any(axis=0)
                slots = [0, 1] if doing.all() else [int(doing.argmax())] if doing.any() else []
                hands = sorted(s for s in (self._side(k, a, b) for k in slots) if s is not None)
                s = Stroke(name, start, end, hands=hands)
                if mine.any() and name == "petrissage":
                    s.radius = float(np.median(f[..., 1][mine]))
                    s.tempo_hz = float(np.median(f[..., 2][mine]))
                if mine.any() and name == "tapotement":
                    s.rate_hz = float(np.median(f[..., 3][mine]))
                if name in ("lifting", "fanning", "twist"):
                    # Twisting hands slide past each other across the spine: one from each side.
                    s.hands = list(HAND_SIDES) if name == "twist" else s.hands
                    s.passes = count_passes(np.where(f[..., 0] >= 0, f[..., 4], np.nan))
                out.append(s)
        return out


def join_segments(analyzers: list[SessionAnalyzer]) -> SessionReport:
    """One report over consecutive analyzers of one session, each on its own spine line (the
    line was changed between them): every frame, stroke and spine event of every part, the
    summary over all of them, and `summary.spine.changes` saying when each line began.
    The camera check is the session's (the parts share one CameraWatch)."""
    reports = [a.finish() for a in analyzers]
    if len(reports) == 1:
        return reports[0]
    t = np.concatenate([r.t for r in reports])
    labels = np.concatenate([r.labels for r in reports])
    over = np.concatenate([r.over_spine for r in reports])
    nhands = np.concatenate([np.frombuffer(a._nhands, dtype=np.uint8).astype(int) for a in analyzers])
    strokes = sorted((s for r in reports for s in r.strokes), key=lambda s: s.start)
    events = [e for r in reports for e in r.spine_events]
    last = analyzers[-1].spine
    changes = tuple(SpineChange(round(float(r.t[0]), 3) if len(r.t) else None, spine_record(a.spine))
                    for a, r in zip(analyzers, reports))
    return summarise(t, labels, over, nhands, strokes, events, last, camera=reports[-1].summary.camera,
                     changes=changes)


def count_passes(along: np.ndarray, min_run: float = 0.3, deadband: float = 0.08) -> int:
    """One-way runs up or down the back at least min_run spine lengths long, from the hands'
    window-centre positions at each decision ((decisions, hands), NaN where a hand is absent)."""
    seen = np.isfinite(along).any(axis=1)
    if seen.sum() < 2:
        return 0
    x = np.nanmean(along[seen], axis=1)
    runs, anchor, peak, d = 0, x[0], x[0], 0
    for v in x[1:]:
        if d == 0:
            if abs(v - anchor) > deadband:
                d, peak = (1 if v > anchor else -1), v
        elif (v - peak) * d > 0:
            peak = v
        elif (peak - v) * d > deadband:  # turned back
            runs += abs(peak - anchor) >= min_run
            anchor, peak, d = peak, v, -d
    return int(runs + (d != 0 and abs(peak - anchor) >= min_run))


def _share(t: np.ndarray, labels: np.ndarray, start: float, end: float, name: str) -> float:
    sel = (t >= start) & (t <= end)
    return float((labels[sel] == name).mean()) if sel.any() else 0.0


def _smooth_codes(codes: np.ndarray, width: int, min_run: int) -> np.ndarray:
    """Majority filter, then runs shorter than min_run take the label of the longer neighbour."""
    n = len(codes)
    if n == 0:
        return codes
    half = width // 2
    k = len(guide.LABELS)
    onehot = np.zeros((n + 2 * half, k))
    padded = np.r_[np.full(half, codes[0]), codes, np.full(half, codes[-1])]
    onehot[np.arange(len(padded)), padded] = 1
    csum = np.vstack([np.zeros((1, k)), np.cumsum(onehot, axis=0)])
    votes = csum[width:width + n] - csum[:n] if width > 0 else onehot
    out = np.where(votes[np.arange(n), codes] == votes.max(axis=1), codes, votes.argmax(axis=1)).astype(np.int8)
    for _ in range(3):
        d = np.flatnonzero(np.diff(out)) + 1
        starts = np.r_[0, d]
        ends = np.r_[d, n]
        changed = False
        for i, (a, b) in enumerate(zip(starts, ends)):
            if b - a >= min_run or len(starts) == 1:
                continue
            left = (ends[i - 1] - starts[i - 1]) if i > 0 else -1
            right = (ends[i + 1] - starts[i + 1]) if i + 1 < len(starts) else -1
            out[a:b] = out[a - 1] if left >= right else out[b]
            changed = True
        if not changed:
            break
    return out


def analyse_frames(frames, spine: SpineLine, options: AnalyzerOptions | None = None) -> SessionReport:
    """The report of a whole track (an iterable of HandFrame) on one spine line."""
    analyzer = SessionAnalyzer(spine, options)
    for f in frames:
        analyzer.push(f)
    return analyzer.finish()
