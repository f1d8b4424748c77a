"""The overlay's drawing shortcuts give what OpenCV's own calls draw."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from drawing.overlay import FONT, _blend, _white_text


def _background() -> np.ndarray:
    rng = np.random.default_rng(3)
    return cv2.GaussianBlur(rng.integers(0, 256, (480, 640, 3), dtype=np.uint8), (9, 9), 3)


@pytest.mark.parametrize("text,org,scale,thick", [
    ("EFFLEURAGE", (14, 40), 0.8, 2),
    ("glides  up 3  wrong way 0  returns 1", (13, 70), 0.5, 1),
    ("Lower back: be gentle, no ribs here", (90, 465), 0.8, 2),
    ("0:05", (600, 478), 1.8, 4),  # partly below the frame: clipped
])
def test_cached_white_text_is_what_puttext_draws(text, org, scale, thick):
    want, got = _background(), _background()
    cv2.putText(want, text, org, FONT, scale, (255, 255, 255), thick, cv2.LINE_AA)
    _white_text(got, text, org, scale, thick)
    diff = np.abs(want.astype(int) - got)
    assert (want != _background()).any()
    assert diff.max() <= 16 and (diff > 2).mean() < 1e-3


def test_blend_is_the_weighted_mean():
    img = _background()
    want = np.round(img[10:50, 20:300] * 0.45 + np.array((30, 120, 200)) * 0.55)
    _blend(img[10:50, 20:300], (30, 120, 200), 0.55)
    assert np.abs(img[10:50, 20:300].astype(float) - want).max() <= 1
    assert np.array_equal(img[60:], _background()[60:])  # only the region
