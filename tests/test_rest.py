"""A rest is idle up to the moment the hand sets off (found on real-room tuning clips: a hand
setting off after a short rest read as a kneading circle, and the rest's last second was
labelled petrissage)."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from feedback.technique import ClassifierParams, HandWindow, classify, window_features
from feedback.tracks import ACROSS, ALONG, AXL, EXT, N_COLS, SIZE, TIPY, T, X, Y


def _rest_then_move(move_s: float, dist: float, seed: int = 0) -> np.ndarray:
    """2.6 s of a hand resting (landmark jitter of 0.3 px), then in the last `move_s` a quarter
    arc of `dist` palm sizes: the hand setting off."""
    rng = np.random.default_rng(seed)
    t = np.arange(0, 2.6, 1 / 30)
    size = 40.0
    h = np.zeros((len(t), N_COLS))
    h[:, T] = t
    x = 300 + rng.normal(0, 0.3, len(t))
    y = 240 + rng.normal(0, 0.3, len(t))
    k = t > t[-1] - move_s
    ang = np.pi / 2 * (t[k] - t[k][0]) / move_s
    x[k] += dist * size * np.sin(ang)
    y[k] += dist * size * (1 - np.cos(ang))
    h[:, X], h[:, Y] = x, y
    h[:, ALONG], h[:, ACROSS] = 0.5 + (y - 240) / 400, 0.1 + (x - 300) / 400
    h[:, SIZE], h[:, EXT], h[:, TIPY], h[:, AXL] = size, 1.0, -1.0, 1.0
    return h


@pytest.mark.parametrize("move_s", [0.2, 0.3, 0.4])
@pytest.mark.parametrize("dist", [1.0, 3.0])
def test_a_hand_setting_off_after_a_rest_is_still_resting_not_kneading(move_s, dist):
    h = _rest_then_move(move_s, dist)
    w = window_features(h, float(h[-1, T]), ClassifierParams())
    assert w.label == "idle"
    # Without the rule the same window reads as a circle: the test can fail.
    old = dataclasses.replace(ClassifierParams(), rest_min_circle_speed=0.0)
    assert window_features(h, float(h[-1, T]), old).label == "petrissage"


def test_steady_small_circles_at_a_low_speed_stay_kneading():
    # A thumb-sized circle turning steadily: its speed is what a circle of that size and tempo makes.
    w = HandWindow("other", 1.0, speed=0.3, tap_amp=0.02, tap_hz=1.9, tap_share=0.1, tap_peak=0.3, turns=1.3,
                   radius=0.1, knead_hz=0.8, travel=0.05, fps=30.0, pointing=0.5, wiggle=0.05, tap_circ=0.8,
                   along_share=0.5)
    classify(w, ClassifierParams())
    assert w.label == "petrissage"
