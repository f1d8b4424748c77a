"""What the learner hears during live practice: a short tone for the spine alert and the main cues
spoken, never repeated faster than a person can act on them.

The learner looks at the partner's back, not at the laptop, so the spine alert is heard. Pure
Python: `SoundGate.update(t, cue, over_spine)` is called once per analysed frame and counts the
sounds due; the page passes the counts to the browser, which plays each new one once.
"""
from __future__ import annotations

from dataclasses import dataclass, field

TONE_MIN_S = 2.0           # tones at least this far apart
TONE_REPEAT_S = 3.0        # while a hand stays on the spine, the tone comes back this often
SPEECH_SAME_MIN_S = 8.0    # the same spoken cue at least this far apart
SPEECH_ANY_MIN_S = 3.0     # any two spoken cues at least this far apart (one must finish first)
SPOKEN_SEVERITIES = ("warn", "alert", "info")


@dataclass
class SoundGate:
    tone_on: bool = True
    speech_on: bool = True
    tones: int = 0                 # tones due so far (the browser plays each new one)
    spoken: int = 0                # spoken cues due so far
    text: str = ""                 # the latest spoken cue
    _last_tone: float | None = None
    _was_over: bool = False
    _last_speech: float | None = None
    _said: dict = field(default_factory=dict)  # text -> when last spoken
    _last_cue_key: str | None = None

    def update(self, t: float, cue, over_spine: bool) -> None:
        """One frame: `cue` is the Coach's current cue (or None), `over_spine` the alert flag."""
        if over_spine and self.tone_on:
            onset = not self._was_over
            since = None if self._last_tone is None else t - self._last_tone
            if (since is None or since >= TONE_MIN_S) and (onset or since is None or since >= TONE_REPEAT_S):
                self.tones += 1
                self._last_tone = t
        self._was_over = bool(over_spine)

        key = None if cue is None else cue.key
        new = key is not None and key != self._last_cue_key
        self._last_cue_key = key
        # The spine alert is the tone; the other cues are spoken when they come up.
        if not (new and self.speech_on and cue.key != "spine" and cue.severity in SPOKEN_SEVERITIES):
            return
        if self._last_speech is not None and t - self._last_speech < SPEECH_ANY_MIN_S:
            return
        last = self._said.get(cue.text)
        if last is not None and t - last < SPEECH_SAME_MIN_S:
            return
        self.spoken += 1
        self.text = cue.text
        self._last_speech = t
        self._said[cue.text] = t
