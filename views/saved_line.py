"""The saved spine line as the pages read it: a broken calibration file is said plainly, with
a button to forget it right there (the page itself keeps working, as if none were saved)."""
from __future__ import annotations

import logging

import streamlit as st

from coaching import calibration
from coaching.calibration import Calibration, CalibrationError

LOG = logging.getLogger("massage_coach.calibration")


def load_or_explain(key: str) -> Calibration | None:
    """The saved calibration; None when there is none, or when it is broken (then an st.error
    says why, with a working "Forget the saved line" button)."""
    try:
        return calibration.load()
    except CalibrationError as e:
        LOG.warning("broken calibration file: %s", e)
        st.error(f"The saved spine line cannot be used: {e}. Forget it, then set the line again.")
        if st.button("Forget the saved line", key=f"{key}_forget_broken"):
            try:
                calibration.clear()
            except CalibrationError as e2:
                st.error(str(e2))
                return None
            st.rerun()
        return None


def load_quietly() -> Calibration | None:
    """The saved calibration, or None (also when broken: `load_or_explain` said it already)."""
    try:
        return calibration.load()
    except CalibrationError:
        return None
