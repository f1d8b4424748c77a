"""What the coach teaches, in one place, each value with the guide line it comes from.

Source: ../shared/seed/guide-how-to-give-a-back-massage.txt ("the guide"), Part 2.
Durations are in seconds; geometric values are in spine-relative units (fractions of the
neck-to-sacrum length) or in palm widths, so they hold at any camera distance.
"""
from __future__ import annotations

from dataclasses import dataclass

TECHNIQUES = ("effleurage", "petrissage", "tapotement", "lifting", "fanning", "twist")
# "unsure": the evidence is weak or two techniques are as likely (never a confident guess).
LABELS = TECHNIQUES + ("idle", "other", "unsure")
LABELS += ("no_hands",)  # no hand seen for longer than tracks.BRIDGE_GAP_S: nothing is claimed

# Repetitions (up the back and down again) the guide asks for, (min, max). Step 13, muscle
# lifting: "Move up and down the back 2-3 times". Step 15, twists: "up the back until you reach the
# shoulder area, then come back down. Repeat three times." Step 14, fanning, is counted in passes
# "from the top of the back all the way down to the person's hips" (the guide gives no number).
REPETITIONS = {"lifting": (2, 3), "twist": (3, 3)}


@dataclass(frozen=True)
class TechniqueTarget:
    name: str
    min_s: float
    max_s: float
    how: str  # the cue the coach gives, in the guide's words


# Step 10: effleurage "for 3-5 minutes", "start at the bottom ... moving upward ... toward the heart".
# Step 11: petrissage "Go across the entire back for 2-5 minutes", "shorter, circular strokes".
# Step 12: tapotement "Spend 2-3 minutes", "brief, repetitive contacts", "keep your wrists relaxed".
TARGETS = {
    "effleurage": TechniqueTarget("effleurage", 180, 300, "long, even glides upward toward the heart"),
    "petrissage": TechniqueTarget("petrissage", 120, 300, "short circular kneading across the whole back"),
    "tapotement": TechniqueTarget("tapotement", 120, 180, "quick light taps with relaxed wrists"),
}

# The guide's order (steps 10-15); the last three are coached as a checklist, not recognised.
SEQUENCE = (
    ("effleurage", "Spread the oil with long gliding strokes, upward toward the heart, 3-5 min."),
    ("petrissage", "Knead with short circular strokes across the entire back, 2-5 min."),
    ("tapotement", "Percussive strokes with relaxed wrists across the entire back, 2-3 min."),
    ("muscle lifting", "'Lobster claw', alternating hands like windshield wipers, up and down 2-3 times."),
    ("fanning", "From the head of the table, thumbs either side of the spine (never on it), down to the hips."),
    ("twists", "Hands slide past each other in opposite directions, up to the shoulders and back, 3 times."),
)

# "Avoid putting any pressure on the spine" / fanning: "on either side of the spine, not directly on
# the spine itself". A hand is over the spine when the spine line passes under the middle of its
# palm: palm centre closer to the segment than this many palm widths, between neck and sacrum.
SPINE_BAND_PALM_WIDTHS = 0.5
# Hysteresis so landmark jitter does not make the alert flicker: leave only past this distance.
SPINE_RELEASE_PALM_WIDTHS = 0.75
# Flag within 0.25 s of a hand getting there (the product's requirement), so confirm quickly.
SPINE_CONFIRM_S = 0.10
SPINE_CLEAR_S = 0.15

# "Always be gentle when applying pressure on the lower back ... no ribs": the lumbar third.
LOWER_BACK_END = 0.33  # along-spine fraction from the sacrum
# "Use only light pressure on the neck and head": beyond the base of the neck.
NECK_START = 1.0

# "Try to keep one hand on the person at all times": a gap with no hand longer than this is a break.
CONTACT_GAP_S = 1.0

# "Always upward toward the heart (the direction of blood flow) while applying pressure, and then
# lightly bring the hands down the outside of the back": a pressing glide runs toward the head
# (direction "up"); the light return runs down the outside, further from the spine.

# Doctor first (the guide's warnings list).
SEE_A_DOCTOR_FIRST = (
    "Deep vein thrombosis (a blood clot in a deep vein, usually in the legs)",
    "Spinal injuries or damage such as a herniated disk",
    "A bleeding disorder, or taking blood-thinning drugs such as warfarin",
    "Damaged blood vessels",
    "Weakened bones from osteoporosis, a recent fracture, or cancer",
    "A fever",
    "In an area to be massaged: an open or healing wound, a tumour, damaged nerves, an infection "
    "or acute inflammation, inflammation from radiation treatment",
    "Pregnancy",
    "Cancer",
    "Fragile skin from diabetes or a healing scar",
    "Heart problems",
)

SAFETY_RULES = (
    "Never put pressure on the spine: work the muscles on either side of it.",
    "Be gentle on the lower back: there are no ribs to protect the organs.",
    "Only light pressure on the neck and head.",
    "Keep one hand on the person at all times; move fluidly, without stopping and starting.",
    "Softer toward the head, more pressure toward the hips.",
    "Without training, use only light to medium pressure. Ask for feedback; never force a stroke.",
    "Avoid broken skin, blisters or areas of possible infection.",
)
