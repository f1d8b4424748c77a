"""The guide page: the sequence and the safety rules as a checklist, and when to see a doctor first."""
from __future__ import annotations

import streamlit as st

from feedback import guide

from .widgets import GUIDE_DONE_KEY, guard, target_text

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
        from feedback import history

        ticks = history.load_ticks()
        st.session_state[TICKS_KEY] = ticks
        st.session_state[GUIDE_DONE_KEY] = all(ticks.get(i) for i, _ in checklist_items())
    return st.session_state[TICKS_KEY]


def _sync(item: str) -> None:
    from feedback import history

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
        from .nav import page

        st.success("All read. You are ready to practise.")
        st.page_link(page("live"), label="Go to live practice", icon=":material/videocam:")
    else:
        st.progress(done / total, text=f"{done} of {total} ticked")


page = guard(render)
page.__name__ = "guide"
