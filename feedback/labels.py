"""The names the analysis gives, as types: a technique of the guide, or a frame's label.

The values are guide.TECHNIQUES and guide.LABELS (a test keeps them equal); annotate with these
rather than `str` so a checker catches a misspelt technique."""
from __future__ import annotations

from typing import Literal

Technique = Literal["effleurage", "petrissage", "tapotement", "lifting", "fanning", "twist"]
Label = Literal["effleurage", "petrissage", "tapotement", "lifting", "fanning", "twist",
                "idle", "other", "unsure", "no_hands"]
Level = Literal["beginner", "practised"]   # how chatty the coach is (coach.LEVELS)

# The one way the report and the pages name a hand: by the side of the person's spine it works on,
# as the guide does ("on either side of the spine"). Never MediaPipe's handedness (mirrored on a
# selfie camera, unreliable on a back) nor the tracker's slot number, which mean nothing to a learner.
HandSide = Literal["left", "right"]
HAND_SIDES: tuple[HandSide, ...] = ("left", "right")


def side_of(across: float) -> HandSide:
    """The person's side of the spine for a signed distance across it (spine frame: + is right)."""
    return "right" if across >= 0 else "left"


def hands_text(hands) -> str:
    """A stroke's or spine event's hands (their sides, one entry a hand) in words for a learner:
    "left-side hand", "both hands (one each side)", "both hands (right side)"; "" when unknown."""
    sides = [h for h in (hands or ()) if h in HAND_SIDES]
    if not sides:
        return ""
    if len(sides) == 1:
        return f"{sides[0]}-side hand"
    if len(set(sides)) == 2:
        return "both hands (one each side)"
    return f"both hands ({sides[0]} side)"
