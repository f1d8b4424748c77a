"""A guided session through the guide's Part 2, step by step: what to do now, how long it has
been done against the guide's minutes, and when to move on.

Fed with the live per-frame technique labels (`update(t, label)`); pure Python, no video.

The guide's order (steps 10-15): effleurage 3-5 min; petrissage 2-5 min "alternating with
effleurage"; tapotement 2-3 min; muscle lifting "up and down the back 2-3 times"; fanning from
the top of the back down to the hips; twists up to the shoulders and back, "three times". The
last three are counted in passes, not minutes: the coach times them only if a recogniser labels
them (labels "lifting", "fanning", "twist"); otherwise the learner says when a step is done.
"""
from __future__ import annotations

from dataclasses import dataclass

from . import guide
from .story import mmss

SWITCH_CONFIRM_S = 5.0   # the next step's technique held this long moves the guide on
MAX_FRAME_GAP_S = 0.5    # a stall adds only this much time


@dataclass(frozen=True)
class Step:
    name: str
    label: str                  # the technique label that counts as doing this step
    how: str                    # what to do, in the guide's words
    min_s: float | None = None  # the guide's minutes (None: counted in passes)
    max_s: float | None = None
    also: tuple[str, ...] = ()  # other labels that belong in this step (not counted toward it)
    passes: str = ""            # "2-3 times" for steps counted in passes


def _target(name: str) -> tuple[float, float]:
    t = guide.TARGETS[name]
    return t.min_s, t.max_s


STEPS = (
    Step("effleurage", "effleurage", "Long, even glides up beside the spine toward the heart; come back down the "
         "outside lightly. Include the shoulders and neck.", *_target("effleurage")),
    Step("petrissage", "petrissage", "Knead in short circles across the entire back; you can alternate with "
         "effleurage.", *_target("petrissage"), also=("effleurage",)),
    Step("tapotement", "tapotement", "Quick, light taps with relaxed wrists across the entire back.",
         *_target("tapotement")),
    Step("muscle lifting", "lifting", "“Lobster claw”: lift and twist, alternating hands like windshield wipers, "
         "up and down the back.", passes="2-3 times"),
    Step("fanning", "fanning", "From the head of the table, thumbs either side of the spine (never on it), "
         "fan down to the hips.", passes="once or twice"),
    Step("twists", "twist", "Hands slide past each other in opposite directions, up to the shoulders and back.",
         passes="3 times"),
)


@dataclass(frozen=True)
class RoutineState:
    index: int                  # current step (len(STEPS): finished)
    step: Step | None
    seconds: float              # time doing this step's technique
    status: str                 # "start", "keep going", "can move on", "move on", "do passes", "finished"
    text: str                   # what to tell the learner now
    next_name: str | None


class Routine:
    def __init__(self, steps: tuple[Step, ...] = STEPS) -> None:
        self.steps = steps
        self.index = 0
        self.seconds = [0.0] * len(steps)
        self.skipped_early: list[str] = []   # steps left before the guide's minimum
        self._last_t: float | None = None
        self._next_since: float | None = None

    @property
    def finished(self) -> bool:
        return self.index >= len(self.steps)

    def advance(self) -> None:
        """The learner (or a switch of technique) moves on to the next step."""
        if self.finished:
            return
        step = self.steps[self.index]
        if step.min_s is not None and self.seconds[self.index] < step.min_s:
            self.skipped_early.append(step.name)
        self.index += 1
        self._next_since = None

    def update(self, t: float, label: str) -> RoutineState:
        dt = 0.0 if self._last_t is None else min(max(t - self._last_t, 0.0), MAX_FRAME_GAP_S)
        self._last_t = t if self._last_t is None else max(t, self._last_t)
        if not self.finished:
            step = self.steps[self.index]
            if label == step.label:
                self.seconds[self.index] += dt
            nxt = self.steps[self.index + 1] if self.index + 1 < len(self.steps) else None
            # Doing the next step's technique for a while moves the guide on (not effleurage during
            # petrissage: the guide alternates them).
            if nxt is not None and label == nxt.label and label not in step.also and label != step.label:
                if self._next_since is None:
                    self._next_since = t
                elif t - self._next_since >= SWITCH_CONFIRM_S:
                    held = t - self._next_since
                    self.advance()
                    self.seconds[self.index] += held  # the time it took to be sure counts
            elif label != "idle":
                self._next_since = None
        return self.state()

    def state(self) -> RoutineState:
        if self.finished:
            return RoutineState(self.index, None, 0.0, "finished",
                                "All steps done. Drape a towel over the back; tell the person to get up slowly.", None)
        step = self.steps[self.index]
        s = self.seconds[self.index]
        nxt = self.steps[self.index + 1].name if self.index + 1 < len(self.steps) else None
        then = f"move on to {nxt}" if nxt else "finish"
        if step.min_s is None:
            status = "do passes"
            text = f"{step.name.capitalize()}, {step.passes}: {step.how} Then {then}."
        elif s >= step.max_s:
            status = "move on"
            text = f"{step.name.capitalize()}: {mmss(s)}, the guide's most is {step.max_s / 60:g} min: {then} now."
        elif s >= step.min_s:
            status = "can move on"
            text = f"{step.name.capitalize()}: {mmss(s)} done (guide {step.min_s / 60:g}-{step.max_s / 60:g} min). " \
                   f"You can {then}."
        else:
            status = "start" if s == 0 else "keep going"
            text = f"{step.name.capitalize()}: {mmss(s)} of {step.min_s / 60:g}-{step.max_s / 60:g} min. {step.how}"
        return RoutineState(self.index, step, s, status, text, nxt)

    def summary(self) -> list[dict]:
        """Each step: time done against the guide, and whether it was reached."""
        out = []
        for i, step in enumerate(self.steps):
            s = self.seconds[i]
            if step.min_s is None:
                status = "done" if i < self.index else "not yet"
            else:
                status = "short" if s < step.min_s else "long" if s > step.max_s else "in range"
            out.append({"step": step.name, "seconds": round(s, 1), "min_s": step.min_s, "max_s": step.max_s,
                        "status": status})
        return out
