"""The names the analysis gives, as types: a technique of the guide, or a frame's label.

The values are guide.TECHNIQUES and guide.LABELS (a test keeps them equal); annotate with these
rather than `str` so a checker catches a misspelt technique."""
from __future__ import annotations

from typing import Literal

Technique = Literal["effleurage", "petrissage", "tapotement", "lifting", "fanning", "twist"]
Label = Literal["effleurage", "petrissage", "tapotement", "lifting", "fanning", "twist",
                "idle", "other", "unsure", "no_hands"]
Level = Literal["beginner", "practised"]   # how chatty the coach is (coach.LEVELS)
