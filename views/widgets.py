"""Widgets shared by the pages: the error edge, the coach level, and the report display."""
from __future__ import annotations

import functools
import logging
from typing import Callable, Mapping

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from coaching.session import clock
from feedback import guide
from drawing.colors import SEVERITY_COLORS, TECHNIQUE_COLORS
from feedback.report import SessionReport, label_spans
from feedback.labels import hands_text
from feedback.summary import AgainstGuide, Summary

from .checklist import GUIDE_DONE_KEY

LOG = logging.getLogger("massage_coach.app")

LEVEL_KEY = "coach_level"
LEVEL_LABELS = {"beginner": "Beginner: more reminders", "practised": "Practised: only what matters"}


# -- the page edge ----------------------------------------------------------------------------

def plain_reason(e: BaseException) -> str:
    text = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    return text[:1].upper() + text[1:]


def guard(page: Callable[[], None]) -> Callable[[], None]:
    """Catch what a page can run into and say it plainly: never a traceback on the page."""

    @functools.wraps(page)
    def run() -> None:
        from coaching.spine_policy import InputError
        from feedback.spine import SpineError
        from tracker.source import SourceError

        try:
            page()
        except (InputError, SourceError) as e:
            st.error(f"{plain_reason(e)}\n\nTry another file: an MP4, MOV, AVI or WebM video from a phone "
                     "or a webcam, with the whole back in view.")
        except SpineError as e:
            LOG.info("no spine line: %s", e)
            st.error("No usable spine line. Set it by hand: the base of the neck, then the sacrum, on a still "
                     "of the video; then try again.")
        except MemoryError:
            st.error("This video is too large to analyse here. Try a shorter clip, or analyse every "
                     "second frame.")
        except Exception:  # the page edge: log it, tell the user plainly
            LOG.exception("unexpected error on page %s", page.__name__)
            st.error("Something went wrong on this page. Reload the page and try again; if it keeps "
                     "happening, the details are in the server's log.")

    return run


# -- settings --------------------------------------------------------------------------------

def coach_level() -> str:
    return st.session_state.get(LEVEL_KEY, "beginner")


def sidebar() -> None:
    with st.sidebar:
        st.radio("Coaching", list(LEVEL_LABELS), key=LEVEL_KEY, format_func=LEVEL_LABELS.get,
                 help="How often the coach reminds you. The spine alert is always on.")
        st.caption("Everything runs on this computer; nothing is uploaded anywhere or saved unless "
                   "you download it (the spine calibration is kept when you save it).")


# -- formatting -------------------------------------------------------------------------------

mmss = clock  # durations and times in the report: rounded to the second (coaching.session.clock)


def target_text(name: str) -> str:
    t = guide.TARGETS[name]
    return f"{t.min_s / 60:g}–{t.max_s / 60:g} min"


STATUS_TEXT = {"short": "below the guide's time", "in range": "within the guide's time",
               "long": "longer than the guide asks"}
STATUS_SHORT = {"short": "not yet", "in range": "✓ in range", "long": "too long"}


# -- time per technique against the guide -------------------------------------------------

def against_guide_table(against: Mapping[str, AgainstGuide]) -> pd.DataFrame:
    rows = []
    for name, g in against.items():
        rows.append({"Technique": name.capitalize(), "Time": mmss(g.seconds), "Guide": target_text(name),
                     "Share of the minimum": round(100 * min(1.0, g.seconds / g.target_min_s))
                     if g.target_min_s else 100,
                     "Status": STATUS_SHORT.get(g.status, g.status)})
    return pd.DataFrame(rows)


def show_against_guide(against: Mapping[str, AgainstGuide], key: str) -> None:
    """Time per technique next to the guide's range, as a table with a progress column."""
    st.dataframe(
        against_guide_table(against), hide_index=True, key=f"{key}_against",
        column_config={
            "Technique": st.column_config.TextColumn(),
            "Time": st.column_config.TextColumn(width="small", help="Time spent on it (minutes:seconds)"),
            "Guide": st.column_config.TextColumn(width="small", help="How long the guide asks for"),
            "Share of the minimum": st.column_config.ProgressColumn(
                "Progress", min_value=0.0, max_value=100.0, format="%.0f%%", width="small",
                help="How much of the guide's minimum time for this technique is done"),
            "Status": st.column_config.TextColumn(width="small"),
        })


# -- timeline ----------------------------------------------------------------------------------

def timeline_frame(report: SessionReport) -> pd.DataFrame:
    t = np.asarray(report.t, float)
    rows = []
    if len(t):
        step = float(np.median(np.diff(t))) if len(t) > 1 else 1 / 30
        for name in guide.LABELS:
            if name == "idle":
                continue
            for a, b in label_spans(report.labels, name):
                rows.append({"row": "Technique", "what": name, "start": float(t[a]),
                             "end": float(t[b - 1]) + step})
        for e in report.spine_events:
            end = e.end if e.end is not None else float(t[-1])
            rows.append({"row": "Spine", "what": "hand over the spine", "start": float(e.start),
                         "end": max(float(end), float(e.start) + step)})
    return pd.DataFrame(rows, columns=["row", "what", "start", "end"])


CUE_WIDTH_S = 0.25  # a cue is a moment; drawn this wide so it can be seen and hovered
ROWS = ["Technique", "Spine", "Cues"]


def show_timeline(report: SessionReport, cues: list | None = None) -> None:
    df = timeline_frame(report)
    duration = report.summary.duration_s or 1.0
    if df.empty and not cues:
        st.info("No technique was recognised in this session: only resting or unseen hands.")
        return
    cue_rows = [{"row": "Cues", "what": f"cue: {sev}", "start": float(t), "end": float(t) + CUE_WIDTH_S,
                 "cue": text} for t, text, sev in (cues or [])]
    df = pd.concat([df.assign(cue=""), pd.DataFrame(cue_rows, columns=list(df.columns) + ["cue"])],
                   ignore_index=True)
    df["from"] = df["start"].map(mmss)
    df["to"] = df["end"].map(mmss)
    names = [n for n in guide.LABELS if n != "idle"]
    domain = names + ["hand over the spine"] + [f"cue: {s}" for s in SEVERITY_COLORS]
    colors = [TECHNIQUE_COLORS[n] for n in names] + [SEVERITY_COLORS["alert"]] + list(SEVERITY_COLORS.values())
    rows = [r for r in ROWS if r in set(df["row"])] or ROWS[:1]
    chart = alt.Chart(df).mark_bar(cornerRadius=2).encode(
        x=alt.X("start:Q", title="time (s)", scale=alt.Scale(domain=[0, duration], nice=False)),
        x2="end:Q",
        y=alt.Y("row:N", title=None, sort=rows),
        color=alt.Color("what:N", title=None, scale=alt.Scale(domain=domain, range=colors)),
        tooltip=[alt.Tooltip("what:N", title="what"), alt.Tooltip("cue:N", title="cue"),
                 alt.Tooltip("from:N"), alt.Tooltip("to:N")],
    )
    # Streamlit sizes the chart by its own height argument (a height set inside the chart is ignored).
    st.altair_chart(chart, width="stretch", height=max(150, 45 * len(rows) + 60))


# -- strokes -------------------------------------------------------------------------------

STROKE_COLUMNS = {
    "type": "Stroke", "start": "Start (s)", "duration": "Duration (s)", "direction": "Direction",
    "phase": "Phase", "hands": "Hands", "length_spine": "Length (× spine)",
    "speed_spine_per_s": "Speed (spine/s)", "radius_palm": "Circle radius (palms)",
    "tempo_hz": "Circles per s", "rate_hz": "Taps per s",
}


def strokes_frame(report: SessionReport) -> pd.DataFrame:
    rows = []
    for s in report.strokes:
        d = s.to_dict()
        d["hands"] = hands_text(d.get("hands"))
        rows.append({label: d.get(k) for k, label in STROKE_COLUMNS.items()})
    df = pd.DataFrame(rows, columns=list(STROKE_COLUMNS.values()))
    return df.dropna(axis=1, how="all")


def _n(n: int, one: str) -> str:
    from feedback.story import plural

    return plural(int(n), one)


# -- what to work on -----------------------------------------------------------------------

def advice(summary: Summary) -> list[tuple[str, str]]:
    """(severity, sentence) from the report's summary, most important first."""
    out: list[tuple[str, str]] = []
    sp = summary.spine
    if sp.events:
        out.append(("alert", f"Hands were over the spine {sp.events} time{'s' * (sp.events != 1)} "
                             f"({sp.seconds_over:.1f} s in all). {guide.SAFETY_RULES[0]}"))
    e = summary.effleurage
    if e.down_wrong_way:
        n = e.down_wrong_way
        out.append(("warn", f"{n} pressing glide{'s' * (n != 1)} went down toward the hips. Press on the way "
                            "up, toward the heart, and come back down lightly along the outside of the back."))
    if summary.contact_breaks and summary.hands_seen_fraction > 0:
        n = summary.contact_breaks
        out.append(("warn", f"Contact was broken {n} time{'s' * (n != 1)} (no hand on the back for more than "
                            f"{guide.CONTACT_GAP_S:g} s). {guide.SAFETY_RULES[3]}"))
    seen = summary.hands_seen_fraction
    if 0 < seen < 0.6:
        out.append(("info", f"Hands were seen in only {seen:.0%} of the video. Place the camera so it sees "
                            "the whole back and both hands from above or from the side."))
    if e.strokes and not e.down_wrong_way:
        out.append(("ok", "The pressing glide went upward, toward the heart." if e.strokes == 1 else
                          f"All {e.strokes} pressing glides went upward, toward the heart."))
    return out


def show_advice(summary: Summary) -> None:
    items = advice(summary)
    if not items:
        return
    for sev, text in items:
        {"alert": st.error, "warn": st.warning, "info": st.info, "ok": st.success}[sev](text)


# -- the whole report ------------------------------------------------------------------------

def show_report(report: SessionReport, key: str, video: bytes | None = None, cues: list | None = None,
                file_stem: str = "massage-session", trace=None) -> None:
    """The report of one session: summary, video, time against the guide, timeline, strokes,
    downloads. `key` keeps widget ids apart when shown twice."""
    s = report.summary
    if not len(report.t):
        st.warning("Nothing was measured: no frame was analysed.")
        return
    from . import report_sections as sections

    if s.hands_seen_fraction == 0:
        st.warning("No hands were found in this video, so there is nothing to coach. Film from above or "
                   "from the side with the whole back and both hands in view, in good light.")
    for problem in (s.camera.problems if s.camera else ()):
        st.warning("Camera check: " + problem.message)
    e = s.effleurage
    c = st.columns(5)
    c[0].metric("Session", mmss(s.duration_s))
    c[1].metric("Glides up", e.up, help="Pressing effleurage glides toward the head (the heart)")
    c[2].metric("Wrong way", e.down_wrong_way,
                help="Pressing glides that went down toward the hips")
    c[3].metric("On spine", s.spine.events, help="Times a hand was over the spine")
    c[4].metric("Hands seen", f"{s.hands_seen_fraction:.0%}", help="Share of frames with a hand found")
    if s.hands_seen_fraction > 0:
        sections.show_summary(report, trace)
    sections.keep_in_history(report, trace, key, file_stem)
    moments = sections.session_moments(report, cues, trace)

    left, right = st.columns([1, 1], gap="large") if video else (None, st.container())
    if video:
        with left:
            st.subheader("Annotated video")
            st.video(video, start_time=sections.video_start(key, moments, report))
            st.download_button("Download the annotated video (MP4)", video, file_name=f"{file_stem}-annotated.mp4",
                               mime="video/mp4", key=f"{key}_dl_video", on_click="ignore",
                               icon=":material/download:")
    with right:
        st.subheader("Time per technique")
        show_against_guide(s.against_guide, key)
        st.caption("The guide: effleurage first, then petrissage (alternating with effleurage), then "
                   "tapotement. A short clip is of course below the guide's minutes.")

    st.subheader("Moments to see again")
    sections.show_moments(moments, key, bool(video))

    st.subheader("Timeline")
    show_timeline(report, cues)

    st.subheader("Where the hands worked")
    sections.show_coverage(report, trace, key)

    st.subheader("Flow")
    sections.show_flow(report, trace)

    st.subheader("Strokes")
    df = strokes_frame(report)
    if df.empty:
        st.caption("No strokes were measured.")
    else:
        st.dataframe(df, hide_index=True, key=f"{key}_strokes", placeholder="–", column_config={
            label: st.column_config.NumberColumn(label, format="%.2f")
            for label in df.columns if label not in ("Stroke", "Direction", "Phase", "Hands")})
    extra = []
    p, tp = s.petrissage, s.tapotement
    if p.bouts:
        extra.append(f"Petrissage: {_n(p.bouts, 'bout')}, circles of {p.median_radius_palm or 0:.2f} palm "
                     f"sizes at {p.median_tempo_hz or 0:.2f} per second (medians).")
    if tp.bouts:
        extra.append(f"Tapotement: {_n(tp.bouts, 'bout')}, {tp.median_rate_hz or 0:.1f} taps per second (median).")
    if e.strokes:
        extra.append(f"Effleurage: {_n(e.strokes, 'pressing glide')}, mean length "
                     f"{e.mean_length_spine or 0:.0%} of the spine, {e.mean_duration_s or 0:.1f} s "
                     f"each; {_n(e.returns, 'light return')}.")
    for line in extra:
        st.caption(line)

    st.subheader("Download the report")
    d = st.columns(3)
    d[0].download_button("Report (JSON)", report.to_json(indent=2), file_name=f"{file_stem}-report.json",
                         mime="application/json", key=f"{key}_dl_json", on_click="ignore",
                         icon=":material/download:")
    d[1].download_button("Strokes (CSV)", report.strokes_csv(), file_name=f"{file_stem}-strokes.csv",
                         mime="text/csv", key=f"{key}_dl_strokes", on_click="ignore", icon=":material/download:")
    d[2].download_button("Frame by frame (CSV)", report.frames_csv(), file_name=f"{file_stem}-frames.csv",
                         mime="text/csv", key=f"{key}_dl_frames", on_click="ignore", icon=":material/download:")


def guide_notice() -> None:
    """Before a first session: point to the guide until its checklist is ticked."""
    from .checklist import remembered_ticks

    remembered_ticks()
    if not st.session_state.get(GUIDE_DONE_KEY):
        with st.container(border=True):
            st.markdown("**Before your first session**, read the safety rules and check the list of "
                        "conditions that call for a doctor first.")
            from .nav import page

            st.page_link(page("guide"), label="Open the guide and its checklist", icon=":material/checklist:")
