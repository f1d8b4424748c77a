"""The guide page: the sequence and the safety rules as a checklist, and when to see a doctor first."""
from __future__ import annotations

import streamlit as st

from feedback import guide

from .checklist import DOCTOR_ITEM, GUIDE_DONE_KEY, TICKS_KEY, checklist_items, remembered_ticks
from .widgets import guard, target_text

def _sync(item: str) -> None:
    from coaching import history

    ticks = remembered_ticks()
    ticks[item] = bool(st.session_state.get(f"_guide_{item}"))
    st.session_state[GUIDE_DONE_KEY] = all(ticks.get(i) for i, _ in checklist_items())
    try:
        history.save_ticks(ticks)
    except OSError:
        pass  # the ticks still hold for this browser session


def _box(item: str, text: str) -> None:
    ticks = remembered_ticks()
    st.checkbox(text, value=bool(ticks.get(item)), key=f"_guide_{item}", on_change=_sync, args=(item,))


def render() -> None:
    st.title("The guide")
    st.markdown("From *How to Give a Back Massage*. Without professional training, use **only light to "
                "medium pressure** with every technique. Tick each box once you have read it; the live page "
                "reminds you until the whole list is ticked. Your ticks are remembered on this computer.")

    st.header("See a doctor first")
    st.markdown("Massage can make some conditions worse. The person should **ask a doctor before a massage** "
                "if they have any of these:")
    st.markdown("\n".join(f"- {c}" for c in guide.SEE_A_DOCTOR_FIRST))
    _box(DOCTOR_ITEM, checklist_items()[0][1])

    st.header("Safety rules")
    for i, rule in enumerate(guide.SAFETY_RULES):
        _box(f"rule{i}", rule)

    st.header("The sequence")
    st.markdown("In this order. The coach recognises the first three and times them against the guide.")
    for i, (name, how) in enumerate(guide.SEQUENCE):
        extra = f" *(coach target: {target_text(name)})*" if name in guide.TARGETS else ""
        _box(f"step{i}", f"**{name.capitalize()}**: {how}{extra}")

    ticks = st.session_state.get(TICKS_KEY, {})
    done = sum(bool(ticks.get(i)) for i, _ in checklist_items())
    total = len(checklist_items())
    st.divider()
    if done == total:
        from .nav import page  # the registry app.py filled: no import of the other pages

        st.success("All read. You are ready to practise.")
        st.page_link(page("live"), label="Go to live practice", icon=":material/videocam:")
    else:
        st.progress(done / total, text=f"{done} of {total} ticked")


page = guard(render)
page.__name__ = "guide"
