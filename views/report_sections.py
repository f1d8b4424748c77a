"""The coach's reading of a session on the review page: the summary in plain words, the moments
to jump to in the video, the coverage map of the back and the flow measures."""
from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from feedback import coverage as cov_mod
from feedback import flow, guide, story
from drawing.colors import TECHNIQUE_COLORS

BOX = {"alert": st.error, "warn": st.warning, "info": st.info, "ok": st.success}
KIND_TEXT = {"spine": "Spine", "wrong_way": "Wrong way", "contact": "Contact", "cue": "Cue", "stroke": "Stroke"}


def _breaks(trace) -> list[tuple[float, float]] | None:
    if trace is None or not len(trace):
        return None
    return flow.contact_breaks(trace.t, trace.xy)


def show_summary(report, trace=None) -> None:
    """The story of the session, most important first."""
    for sev, text in story.summary(report, _breaks(trace)):
        BOX[sev](text)


def _jump_key(key: str) -> str:
    return f"{key}_moments"


def video_start(key: str, moments: list[story.Moment], report=None) -> int:
    """The second the video should start at: the moment picked in the list; with none picked,
    a little into the first technique (so the still shown before playing is hands at work,
    labelled with their technique, not the resting hands of the first seconds)."""
    state = st.session_state.get(_jump_key(key))
    try:
        rows = state["selection"]["rows"]
    except (KeyError, TypeError):
        rows = []
    if rows and 0 <= rows[0] < len(moments):
        return int(moments[rows[0]].start)  # whole seconds: st.video starts on a second
    runs = story.technique_runs(report) if report is not None else []
    if not runs:
        return 0
    _, start, end = runs[0]
    return int(start + min(3.0, (end - start) / 2))  # well into it: the live label lags a little


def session_moments(report, cues=None, trace=None) -> list[story.Moment]:
    return story.moments(report, cues, _breaks(trace) or [])


def show_moments(moments: list[story.Moment], key: str, has_video: bool) -> None:
    """The moments as a table; picking a row starts the video there."""
    if not moments:
        st.caption("Nothing to point out in this session.")
        return
    df = pd.DataFrame([{"When": m.when, "What": KIND_TEXT.get(m.kind, m.kind), "": m.text} for m in moments])
    st.dataframe(df, hide_index=True, key=_jump_key(key), on_select="rerun" if has_video else "ignore",
                 selection_mode="single-row", height=min(38 + 35 * len(df), 320),
                 column_config={"When": st.column_config.TextColumn(width="small"),
                                "What": st.column_config.TextColumn(width="small")})
    if has_video:
        st.caption("Pick a row to play the video from that moment.")


# -- coverage map --------------------------------------------------------------------------------

def coverage_chart(cov: cov_mod.Coverage) -> alt.LayerChart | None:
    rows = cov.cells()
    if not rows:
        return None
    df = pd.DataFrame(rows)
    df["technique"] = df["technique"].astype(str)
    names = [n for n in guide.TECHNIQUES if n in set(df["technique"])]
    colors = [TECHNIQUE_COLORS[n] for n in names]
    x = alt.X("across0:Q", title="left · spine · right",
              scale=alt.Scale(domain=[float(cov_mod.ACROSS_EDGES[0]), float(cov_mod.ACROSS_EDGES[-1])], nice=False),
              axis=alt.Axis(labels=False, ticks=False, grid=False))
    y = alt.Y("along0:Q", title=None,
              scale=alt.Scale(domain=[float(cov_mod.ALONG_EDGES[0]), float(cov_mod.ALONG_EDGES[-1])], nice=False),
              axis=alt.Axis(values=[0, guide.LOWER_BACK_END, 0.8, 1.0], labelExpr=(
                  "datum.value == 0 ? 'sacrum' : datum.value == 1 ? 'neck' : "
                  "datum.value < 0.5 ? 'low back' : 'shoulders'"), grid=True, labelPadding=2))
    cells = alt.Chart(df).mark_rect(opacity=0.85, stroke="white", strokeWidth=0.5).encode(
        x=x, x2="across1:Q", y=y, y2="along1:Q",
        color=alt.Color("technique:N", title=None, scale=alt.Scale(domain=names, range=colors), legend=None),
        opacity=alt.Opacity("seconds:Q", legend=None, scale=alt.Scale(range=[0.25, 1.0])),
        tooltip=[alt.Tooltip("technique:N"), alt.Tooltip("seconds:Q", format=".1f", title="hand-seconds")])
    spine = alt.Chart(pd.DataFrame({"x": [0.0, 0.0], "y": [0.0, 1.0]})).mark_line(
        color="#c62828", strokeWidth=3, strokeDash=[6, 3]).encode(x="x:Q", y="y:Q")
    return alt.layer(cells, spine)


def show_coverage(report, trace, key: str) -> None:
    if trace is None or not len(trace):
        st.caption("The coverage map needs the hands' positions frame by frame (not kept for this session).")
        return
    cov = cov_mod.coverage(trace.t, trace.xy, report.labels)
    if not cov.seconds:
        st.caption("No technique was recognised, so there is no map of where the hands worked.")
        return
    names = [n for n in guide.TECHNIQUES if n in cov.seconds]
    cols = st.columns(len(names))
    for col, name in zip(cols, names):
        with col:
            st.markdown(f"**{name.capitalize()}**")
            one = cov_mod.Coverage({name: cov.seconds[name]}, {name: cov.zone_seconds[name]},
                                   {name: cov.missed[name]}, {name: cov.worked[name]})
            chart = coverage_chart(one)
            if chart is not None:
                st.altair_chart(chart, width="stretch", height=280, key=f"{key}_cov_{name}")
            miss = cov.missed[name]
            if name not in cov_mod.ASKED_WHY:
                continue  # the guide names no places for this technique (lifting, fanning, twists)
            if miss:
                st.warning(f"Not reached: {', '.join(miss)}. The guide: {cov_mod.ASKED_WHY[name]}")
            else:
                st.success(f"Every place the guide asks for: {cov_mod.ASKED_WHY[name]}")
    st.caption("The back seen from above, head at the top, the person's left on the left; the dashed red line "
               "is the spine. Darker: more time there. Places count as worked after about a second of hand time.")


def show_flow(report, trace) -> list[flow.Measure]:
    if trace is None or not len(trace):
        return []
    items = flow.measures(report, trace.t, trace.xy)
    if not items:
        return items
    cols = st.columns(min(len(items), 3))
    for i, m in enumerate(items):
        with cols[i % len(cols)]:
            mark = {True: ":green[✓]", False: ":orange[✗]", None: "–"}[m.good]
            st.markdown(f"**{m.name}** {mark}  \n{m.text}")
            st.caption(m.reference)
    return items


# -- history (opt-in) ----------------------------------------------------------------------------

def keep_in_history(report, trace, key: str, name: str) -> None:
    """The opt-in box: ticked, the session's numbers are kept on this computer; unticked again,
    they are removed."""
    from coaching import history

    if not len(report.t) or report.summary.hands_seen_fraction == 0:
        return
    sid = history.session_id(report.summary, name)
    box = f"{key}_keep_{sid}"
    if box not in st.session_state:
        st.session_state[box] = history.contains(sid)

    def changed() -> None:
        try:
            if st.session_state[box]:
                cov = cov_mod.coverage(trace.t, trace.xy, report.labels) if trace is not None and len(trace) else None
                items = flow.measures(report, trace.t, trace.xy) if trace is not None and len(trace) else ()
                history.keep(history.session_record(report, name, cov, items))
            else:
                history.delete(sid)
        except history.HistoryError as e:
            st.session_state[box] = False
            st.session_state[f"{box}_err"] = str(e)
        except OSError as e:
            st.session_state[box] = False
            st.session_state[f"{box}_err"] = f"it could not be written ({e.strerror or e})"

    st.checkbox("Keep this session in my history", key=box, on_change=changed,
                help="Keeps a few numbers (date, minutes per technique, spine alerts, coverage, flow) on this "
                     "computer, for the Progress page. No video. Untick to remove it again.")
    err = st.session_state.pop(f"{box}_err", None)
    if err:
        st.error(f"The session was not kept: {err}. Open **Progress** to clear the history.")
