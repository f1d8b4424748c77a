"""A tapping hand is judged at its contact with a narrower band (its lifted image swings across
the line by parallax): the release band narrows with the enter band, so an alert raised by a
lifted image before the hand was known to tap is not held while its contacts land beside the line."""
from __future__ import annotations

import dataclasses

from feedback.safety import SafetyParams, SpineGuard


def _run(params: SafetyParams) -> list[bool]:
    g = SpineGuard(params)
    out = []
    t = 0.0
    for _ in range(8):  # 0.27 s: a hand seen over the line, not (yet) known to tap
        out.append(g.update(t, [(0, 0.3, True, 0.5, False)]))
        t += 1 / 30
    for _ in range(15):  # then judged tapping, its contacts 0.6 palm sizes from the line
        out.append(g.update(t, [(0, 0.6, True, 0.5, True)]))
        t += 1 / 30
    return out


def test_a_tapping_hand_whose_contacts_land_beside_the_line_is_released():
    p = SafetyParams()
    assert 0.6 < p.release  # inside the wide release band, outside the tapping one
    over = _run(p)
    assert over[7]          # the lifted image raised the alert
    assert not over[-1]     # released once its contacts are known
    # Without the narrower release band the alert holds: the test can fail.
    assert _run(dataclasses.replace(p, tapping_release_scale=1.0))[-1]


def test_a_tapping_hand_on_the_line_stays_flagged():
    g = SpineGuard(SafetyParams())
    over = [g.update(i / 30, [(0, 0.1, True, 0.5, True)]) for i in range(30)]
    assert over[-1]
