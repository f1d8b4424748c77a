"""Live coaching: one short cue at a time, from the analysis of each frame.

`Coach.update(result)` is called once per analysed frame (live or recorded) and
returns the cue to show now, or None. Cues have a priority and a minimum display time, so a
lower cue never flickers over a higher one and a cue stays up long enough to be read:

    priority  cue                                          severity  when
    100       Hands off the spine                          alert     while a hand is over the spine
     80       Keep one hand on the back                    warn      no hand for > guide.CONTACT_GAP_S
     70       Glide upward, toward the heart               warn      a pressing glide just went down
     60       Neck: light touch only                       warn      hands beyond the base of the neck
     40       Lower back: be gentle, no ribs here          info      hands working below guide.LOWER_BACK_END
     30       Effleurage: 3 min done, move on to ...       info      time per technique reaches the guide's range

Pure Python on the analyzer's FrameResult: no video, no OpenCV, testable with synthetic frames.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from . import guide

SEVERITIES = ("info", "warn", "alert")
MAX_FRAME_GAP_S = 0.5  # a longer gap between frames (a stall) adds only this much technique time
JITTER_S = 0.3         # a cue whose reason drops out for less than this does not go away


@dataclass(frozen=True)
class Cue:
    text: str
    severity: str  # "info" | "warn" | "alert"
    key: str       # stable identity: the same situation keeps the same key

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"severity must be one of {SEVERITIES}, got {self.severity!r}")


@dataclass(frozen=True)
class CoachLevel:
    """How chatty the coach is. A practised hand gets fewer reminders, later."""

    hold_s: float                 # minimum display time of a cue
    alert_hold_s: float           # minimum display time of the spine alert (short: it must clear fast)
    event_show_s: float           # how long a one-off cue (wrong-way glide) stays up
    lower_back_after_s: float     # hands this long in the lower back before the reminder
    neck_after_s: float           # hands this long on the neck before the reminder
    reminder_show_s: float        # how long a region reminder stays up
    reminder_repeat_s: float      # a region reminder comes back after this long if the hands stay
    timing_show_s: float          # how long a timing cue stays up
    timing_at_min: bool           # announce reaching the guide's minimum (not only its maximum)
    lower_back_reminder: bool


LEVELS = {
    "beginner": CoachLevel(hold_s=2.5, alert_hold_s=0.8, event_show_s=3.0, lower_back_after_s=3.0,
                           neck_after_s=0.6, reminder_show_s=4.0, reminder_repeat_s=30.0,
                           timing_show_s=6.0, timing_at_min=True, lower_back_reminder=True),
    "practised": CoachLevel(hold_s=1.5, alert_hold_s=0.5, event_show_s=2.5, lower_back_after_s=8.0,
                            neck_after_s=1.5, reminder_show_s=3.0, reminder_repeat_s=90.0,
                            timing_show_s=5.0, timing_at_min=False, lower_back_reminder=False),
}

PRIORITY = {"spine": 100, "contact": 80, "wrong_way": 70, "neck": 60, "lower_back": 40, "timing": 30}

SPINE_CUE = Cue("Hands off the spine", "alert", "spine")
CONTACT_CUE = Cue("Keep one hand on the back", "warn", "contact")
WRONG_WAY_CUE = Cue("Glide upward, toward the heart", "warn", "wrong_way")
# Zone reminders are worded as reminders of the guide's rule for the place the hands are in: a
# camera cannot measure pressure, so they must never read as "you pressed too hard".
NECK_CUE = Cue("Neck: light touch only", "warn", "neck")
LOWER_BACK_CUE = Cue("Lower back: be gentle, no ribs here", "info", "lower_back")


def _minutes(seconds: float) -> str:
    m = seconds / 60.0
    return f"{m:.0f} min" if abs(m - round(m)) < 1e-9 else f"{m:.1f} min"


def _next_in_sequence(technique: str) -> str | None:
    names = [name for name, _ in guide.SEQUENCE]
    if technique in names and names.index(technique) + 1 < len(names):
        return names[names.index(technique) + 1]
    return None


def timing_cue(technique: str, bound: str) -> Cue:
    """The cue for `technique` reaching the guide's minimum ("min") or maximum ("max")."""
    target = guide.TARGETS[technique]
    nxt = _next_in_sequence(technique)
    name = technique.capitalize()
    if bound == "min":
        text = f"{name}: {_minutes(target.min_s)} done, move on to {nxt}" if nxt else \
            f"{name}: {_minutes(target.min_s)} done"
        return Cue(text, "info", f"timing:{technique}:min")
    text = f"{name}: {_minutes(target.max_s)} is the most the guide asks" + (f", move on to {nxt}" if nxt else "")
    return Cue(text, "warn", f"timing:{technique}:max")


@dataclass
class _Dwell:
    """A reminder for hands staying in one region: shown once they have stayed `after_s`, and
    not again within `repeat_s` (whether or not the hands left in between: a stroke that
    reaches the neck every few seconds must not bring the reminder up every time)."""

    since: float | None = None
    last_in: float | None = None
    shown_at: float | None = None
    shown_stay: float | None = None

    def update(self, t: float, inside: bool, seen: bool, grace_s: float = 0.4) -> None:
        if inside:
            if self.since is None:
                self.since = t
            self.last_in = t
        elif seen or (self.last_in is not None and t - self.last_in > grace_s):
            # The hands are seen elsewhere (or lost for a while): the stay is over.
            self.since = None

    def active(self, t: float, after_s: float, show_s: float, repeat_s: float) -> bool:
        if self.since is None or t - self.since < after_s:
            return False
        if self.shown_at is None or t - self.shown_at >= repeat_s:
            self.shown_at, self.shown_stay = t, self.since
        # Only during the stay that brought it up (a new stay within repeat_s stays quiet).
        return self.since == self.shown_stay and t - self.shown_at < show_s


@dataclass
class Coach:
    level: str = "beginner"
    technique_seconds: dict = field(default_factory=lambda: {name: 0.0 for name in guide.TECHNIQUES})
    history: list = field(default_factory=list)   # (t, Cue) each time a cue comes up

    def __post_init__(self) -> None:
        if self.level not in LEVELS:
            raise ValueError(f"level must be one of {tuple(LEVELS)}, got {self.level!r}")
        self.params = LEVELS[self.level]
        self.current: Cue | None = None
        self._shown_since = 0.0
        self._last_true = 0.0
        self._last_t: float | None = None
        self._hands_seen = False
        self._last_hand_t = 0.0
        self._wrong_way_until = -1.0
        self._timing: tuple[Cue, float] | None = None  # (cue, until)
        self._announced: set[str] = set()
        self._lower = _Dwell()
        self._neck = _Dwell()

    # -- state from each frame ------------------------------------------------------------
    def _track(self, result) -> None:
        t = float(result.t)
        if self._last_t is not None and t > self._last_t and result.label in self.technique_seconds:
            self.technique_seconds[result.label] += min(t - self._last_t, MAX_FRAME_GAP_S)
        self._last_t = t if self._last_t is None else max(t, self._last_t)

        hands = list(result.hands or [])
        if hands:
            self._hands_seen = True
            self._last_hand_t = t
        self._lower.update(t, any(0.0 <= h.along < guide.LOWER_BACK_END for h in hands), bool(hands))
        self._neck.update(t, any(h.along > guide.NECK_START for h in hands), bool(hands))

        stroke = result.stroke
        # Only while effleurage is what is going on: kneading and tapping travel down too.
        if stroke is not None and stroke.type == "effleurage" and stroke.direction == "down" \
                and stroke.phase == "stroke" and result.label == "effleurage":
            self._wrong_way_until = t + self.params.event_show_s

        for name, target in guide.TARGETS.items():
            s = self.technique_seconds.get(name, 0.0)
            for bound, limit in (("max", target.max_s), ("min", target.min_s)):
                key = f"timing:{name}:{bound}"
                if s >= limit and key not in self._announced:
                    self._announced.add(key)
                    if bound == "min" and (not self.params.timing_at_min or s >= target.max_s):
                        continue
                    self._timing = (timing_cue(name, bound), t + self.params.timing_show_s)

    def _candidates(self, result) -> list[Cue]:
        t = float(result.t)
        p = self.params
        out = []
        if result.over_spine:
            out.append(SPINE_CUE)
        if self._hands_seen and not result.hands and t - self._last_hand_t > guide.CONTACT_GAP_S:
            out.append(CONTACT_CUE)
        if t < self._wrong_way_until:
            out.append(WRONG_WAY_CUE)
        if self._neck.active(t, p.neck_after_s, p.reminder_show_s, p.reminder_repeat_s):
            out.append(NECK_CUE)
        if p.lower_back_reminder and self._lower.active(t, p.lower_back_after_s, p.reminder_show_s,
                                                        p.reminder_repeat_s):
            out.append(LOWER_BACK_CUE)
        if self._timing is not None:
            cue, until = self._timing
            if t < until:
                out.append(cue)
            else:
                self._timing = None
        return out

    @staticmethod
    def _priority(cue: Cue | None) -> int:
        if cue is None:
            return -1
        return PRIORITY[cue.key.split(":", 1)[0]]

    def update(self, result) -> Cue | None:
        """Take one FrameResult; return the cue to show now (None: nothing to say)."""
        t = float(result.t)
        self._track(result)
        candidates = self._candidates(result)
        best = max(candidates, key=self._priority, default=None)
        cur = self.current
        if cur is not None and cur in candidates:
            self._last_true = t
        if cur is not None and best is not None and best.key == cur.key:
            return cur  # still true and still the most important
        if best is not None and self._priority(best) > self._priority(cur):
            self._show(best, t)
        elif cur is not None and (cur in candidates or self._held(cur, t)):
            pass  # still true, or within its minimum display time: nothing lower replaces it
        else:
            self._show(best, t)
        return self.current

    def _held(self, cue: Cue, t: float) -> bool:
        """A cue stays up its minimum display time, and does not drop out for a moment when its
        reason flickers (the alert stays `alert_hold_s` after the flag was last up)."""
        p = self.params
        if cue.severity == "alert":
            return t - self._last_true < p.alert_hold_s
        return t - self._shown_since < p.hold_s or t - self._last_true < JITTER_S

    def _show(self, cue: Cue | None, t: float) -> None:
        if cue is not None and cue != self.current:
            self.history.append((t, cue))
        self.current = cue
        self._shown_since = self._last_true = t

    def against_guide(self) -> dict[str, dict]:
        """Live time per technique against the guide's range: short / in range / long."""
        out = {}
        for name, target in guide.TARGETS.items():
            s = self.technique_seconds.get(name, 0.0)
            status = "short" if s < target.min_s else "long" if s > target.max_s else "in range"
            out[name] = {"seconds": s, "target_min_s": target.min_s, "target_max_s": target.max_s,
                         "status": status}
        return out
