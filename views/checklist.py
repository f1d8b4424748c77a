"""The guide's checklist as data and the ticks remembered (no page here): read by the guide page
and by the notice on the practice pages."""
from __future__ import annotations

import streamlit as st

from feedback import guide

GUIDE_DONE_KEY = "guide_checklist_done"
TICKS_KEY = "guide_ticks"  # survives page changes (widget state does not)
DOCTOR_ITEM = "doctor"


def checklist_items() -> list[tuple[str, str]]:
    """(id, text) of every box to tick: the doctor question, each safety rule, each step."""
    items = [(DOCTOR_ITEM, "I asked the person about the conditions above: none applies, or a doctor has "
                           "agreed to the massage.")]
    items += [(f"rule{i}", rule) for i, rule in enumerate(guide.SAFETY_RULES)]
    items += [(f"step{i}", f"**{name.capitalize()}**: {how}") for i, (name, how) in enumerate(guide.SEQUENCE)]
    return items


def remembered_ticks() -> dict:
    """The ticks of this browser session; on its first use, those saved on this computer (the
    checklist is the user's own, kept in the data folder like the history, never any video)."""
    if TICKS_KEY not in st.session_state:
        from coaching import history

        ticks = history.load_ticks()
        st.session_state[TICKS_KEY] = ticks
        st.session_state[GUIDE_DONE_KEY] = all(ticks.get(i) for i, _ in checklist_items())
    return st.session_state[TICKS_KEY]
