"""Progress page: the sessions the user chose to keep, over time, each deletable."""
from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from coaching import history
from feedback import guide
from drawing.colors import TECHNIQUE_COLORS

from .widgets import guard

MEASURES = {  # column: (title, what better looks like)
    "spine_alerts_per_min": ("Spine alerts per minute", "lower is better (0 is the goal)"),
    "wrong_way_share": ("Glides the wrong way (share)", "lower is better"),
    "coverage": ("Places the guide asks for, reached (share)", "higher is better"),
    "smoothness": ("Smoothness of glides (SPARC)", "closer to zero is smoother; -1.4 is a perfectly smooth glide"),
}


def sessions_frame(sessions: list[dict]) -> pd.DataFrame:
    rows = []
    for i, x in enumerate(sessions, 1):
        m = x.get("minutes", {})
        rows.append({"#": i, "When": str(x.get("when", "")).replace("T", " "), "Session": x.get("name", ""),
                     "Minutes": x.get("duration_min"),
                     **{n.capitalize(): m.get(n) for n in guide.TECHNIQUES},
                     "Spine alerts / min": x.get("spine_alerts_per_min"),
                     "Wrong way": x.get("wrong_way_share"), "Coverage": x.get("coverage"),
                     "Smoothness": x.get("smoothness"), "Contact breaks": x.get("contact_breaks")})
    return pd.DataFrame(rows)


def _broken(e: history.HistoryError) -> None:
    st.error(f"Your practice history cannot be read: {e}. It is in {history.history_path()}. "
             "You can clear it and start a new one (the damaged file is deleted).")
    if st.button("Clear the history", type="primary", key="progress_clear_broken"):
        history.clear()
        st.rerun()


def render() -> None:
    st.title("Progress")
    st.markdown("The sessions you chose to keep (tick **Keep this session in my history** under a report). "
                "Only a few numbers per session are kept, on this computer; no video.")
    try:
        sessions = history.load()
    except history.HistoryError as e:
        _broken(e)
        return
    if not sessions:
        st.info("No sessions kept yet. Review a session or practise live, then tick “Keep this session in my "
                "history” under its report.")
        return
    df = sessions_frame(sessions)
    st.dataframe(df, hide_index=True, key="progress_table", column_config={
        "Minutes": st.column_config.NumberColumn(format="%.1f"),
        **{n.capitalize(): st.column_config.NumberColumn(format="%.1f", help="Minutes") for n in guide.TECHNIQUES},
        "Spine alerts / min": st.column_config.NumberColumn(format="%.1f"),
        "Wrong way": st.column_config.NumberColumn(format="percent"),
        "Coverage": st.column_config.NumberColumn(format="percent"),
        "Smoothness": st.column_config.NumberColumn(format="%.1f"),
    })

    st.subheader("Minutes per technique")
    long = df.melt(id_vars=["#", "When"], value_vars=[n.capitalize() for n in guide.TECHNIQUES],
                   var_name="Technique", value_name="min").dropna()
    st.altair_chart(alt.Chart(long).mark_bar().encode(
        x=alt.X("#:O", title="session"), y=alt.Y("min:Q", stack=True, title="minutes"),
        color=alt.Color("Technique:N", scale=alt.Scale(domain=[n.capitalize() for n in guide.TECHNIQUES],
                                                       range=[TECHNIQUE_COLORS[n] for n in guide.TECHNIQUES])),
        tooltip=["When", "Technique", alt.Tooltip("min:Q", format=".1f", title="minutes")]), width="stretch", height=220)

    cols = st.columns(2)
    for i, (col, (title, better)) in enumerate(MEASURES.items()):
        data = pd.DataFrame({"#": df["#"], "When": df["When"], "value": [x.get(col) for x in sessions]}).dropna()
        with cols[i % 2]:
            st.markdown(f"**{title}**")
            if data.empty:
                st.caption("Not measured yet.")
                continue
            st.altair_chart(alt.Chart(data).mark_line(point=True).encode(
                x=alt.X("#:O", title="session"), y=alt.Y("value:Q", title=None),
                tooltip=["When", alt.Tooltip("value:Q", format=".2f")]), width="stretch", height=180)
            st.caption(better)

    st.subheader("Delete a session")
    by_id = {x["id"]: x for x in sessions}
    c = st.columns([3, 1])
    pick = c[0].selectbox("Session", list(by_id), key="progress_pick", label_visibility="collapsed",
                          format_func=lambda k: f"{by_id[k]['when'].replace('T', ' ')} · {by_id[k].get('name', '')}")
    if c[1].button("Delete", key="progress_delete", icon=":material/delete:"):
        history.delete(pick)
        st.rerun()
    if st.button("Delete the whole history", key="progress_clear"):
        history.clear()
        st.rerun()


page = guard(render)
page.__name__ = "progress"
