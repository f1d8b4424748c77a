"""Setting the spine line by hand on a still frame: click the two points (when the
streamlit-image-coordinates component is installed) and/or move sliders, with the line drawn
live on the still."""
from __future__ import annotations

import functools

import cv2
import numpy as np
import streamlit as st

from drawing.overlay import draw_spine
from feedback.spine import SpineError, SpineLine
from tracker.types import SpinePoints

try:  # a small, maintained click-coordinates component (PyPI: streamlit-image-coordinates)
    from streamlit_image_coordinates import streamlit_image_coordinates
except ImportError:  # the sliders alone still do the job
    streamlit_image_coordinates = None

POINTS = (("head", "Base of the neck"), ("sacrum", "Sacrum (bottom of the spine)"))
DEFAULT = SpinePoints((0.7, 0.45), (0.3, 0.45))


def _keys(key: str) -> dict[str, str]:
    return {"hx": f"{key}_hx", "hy": f"{key}_hy", "sx": f"{key}_sx", "sy": f"{key}_sy",
            "target": f"{key}_target", "click": f"{key}_click"}


def current_points(key: str) -> SpinePoints | None:
    k = _keys(key)
    try:
        return SpinePoints((float(st.session_state[k["hx"]]), float(st.session_state[k["hy"]])),
                           (float(st.session_state[k["sx"]]), float(st.session_state[k["sy"]])))
    except KeyError:
        return None


def set_points(key: str, pts: SpinePoints) -> None:
    """Put points into the editor (call before the editor is drawn in this run, or from a callback)."""
    k = _keys(key)
    st.session_state[k["hx"]], st.session_state[k["hy"]] = round(float(pts.head[0]), 3), round(float(pts.head[1]), 3)
    st.session_state[k["sx"]], st.session_state[k["sy"]] = round(float(pts.sacrum[0]), 3), round(float(pts.sacrum[1]), 3)


def _on_click(key: str) -> None:
    k = _keys(key)
    v = st.session_state.get(k["click"])
    if not v or not v.get("width") or not v.get("height"):
        return
    x = min(1.0, max(0.0, v["x"] / v["width"]))
    y = min(1.0, max(0.0, v["y"] / v["height"]))
    target = st.session_state.get(k["target"], POINTS[0][1])
    if target == POINTS[0][1]:
        st.session_state[k["hx"]], st.session_state[k["hy"]] = round(x, 3), round(y, 3)
        st.session_state[k["target"]] = POINTS[1][1]
    else:
        st.session_state[k["sx"]], st.session_state[k["sy"]] = round(x, 3), round(y, 3)
        st.session_state[k["target"]] = POINTS[0][1]


def preview(still_bgr: np.ndarray, pts: SpinePoints | None) -> np.ndarray:
    """RGB copy of the still with the line drawn (or a note that it cannot be drawn)."""
    img = still_bgr.copy()
    h, w = img.shape[:2]
    if pts is not None:
        try:
            spine = SpineLine.from_points(pts, w, h, "manual")
            draw_spine(img, spine)
        except SpineError:
            for p in (pts.head, pts.sacrum):
                cv2.circle(img, (int(p[0] * w), int(p[1] * h)), 7, (0, 0, 255), -1, cv2.LINE_AA)
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


def spine_editor(still_bgr: np.ndarray, key: str, initial: SpinePoints | None = None) -> SpinePoints | None:
    """Draw the editor; return the points as they stand (None until valid)."""
    k = _keys(key)
    if current_points(key) is None:
        set_points(key, initial or DEFAULT)
    pts = current_points(key)
    image = preview(still_bgr, pts)
    pic, controls = st.columns([3, 2], gap="medium")
    with pic:
        if streamlit_image_coordinates is not None:
            st.radio("Your next click on the picture sets", [label for _, label in POINTS], key=k["target"],
                     horizontal=True)
            streamlit_image_coordinates(image, key=k["click"], width="stretch",
                                        on_click=functools.partial(_on_click, key), cursor="crosshair")
            st.caption("Click the base of the neck, then the sacrum (the flat bone at the bottom of the spine, "
                       "between the hips). Fine-tune with the sliders.")
        else:
            st.image(image, width="stretch")
            st.caption("Move the two points with the sliders until the line runs along the spine, from the "
                       "base of the neck to the sacrum (between the hips).")
    with controls:
        for (name, label), (kx, ky) in zip(POINTS, (("hx", "hy"), ("sx", "sy"))):
            st.markdown(f"**{label}**")
            st.slider("across (left → right)", 0.0, 1.0, step=0.005, key=k[kx])
            st.slider("down (top → bottom)", 0.0, 1.0, step=0.005, key=k[ky])
    pts = current_points(key)
    h, w = still_bgr.shape[:2]
    try:
        SpineLine.from_points(pts, w, h, "manual")
    except SpineError:
        st.warning("The two points are too close together: move them to the two ends of the spine.")
        return None
    return pts

