"""Review page (the default): analyse a bundled sample or an uploaded video and show the report."""
from __future__ import annotations

from pathlib import Path

import streamlit as st

from feedback.spine import SpineError
from tracker.source import SourceError

from . import calibrate, saved_line
from coaching.recording import analyse_path
from coaching.session import SessionResult

from .processing import (VIDEO_TYPES, check_video, list_samples, remove_upload, sample_spine, still_frame,
                         write_upload)
from .widgets import coach_level, guard, plain_reason, show_report

SOURCES = ("A bundled sample", "Your own video")
SPINE_AUTO, SPINE_SAVED, SPINE_HAND = ("Find it automatically", "Use my saved calibration", "Set it by hand")
STRIDES = {1: "Every frame (most accurate)", 2: "Every 2nd frame (twice as fast)",
           3: "Every 3rd frame (fastest)"}
UPLOAD_RESULT = "review_upload_result"  # (key, SessionResult) of the latest upload analysed
MANUAL_POINTS = "review_manual_points"  # (file_id, SpinePoints) confirmed by the user


class _NotCached(Exception):
    pass


@st.cache_data(show_spinner=False, max_entries=16)
def _sample_cache(name: str, mtime: float, _computed: SessionResult | None = None) -> SessionResult:
    """The analysis of a bundled sample, kept across reruns and sessions. It is computed outside
    (with a progress bar) and stored by calling this with `_computed`; a call without it on a
    cold cache raises _NotCached (exceptions are not cached)."""
    if _computed is None:
        raise _NotCached
    return _computed


def _progress_bar(label: str):
    bar = st.progress(0.0, text=label)

    def update(done: int, expected: int) -> None:
        if expected:
            bar.progress(min(1.0, done / expected), text=f"{label} frame {done} of {expected}")
        else:
            bar.progress(0.0, text=f"{label} frame {done}")

    return bar, update


def analyse_sample(sample) -> SessionResult:
    """The sample's analysis, at the default level: another level's cues are derived from it
    (SessionResult.cues_for), with no new analysis."""
    mtime = sample.path.stat().st_mtime
    try:
        return _sample_cache(sample.name, mtime)
    except _NotCached:
        pass
    bar, update = _progress_bar(f"Analysing “{sample.title}”:")
    try:
        points = sample_spine(sample.path)
        result = analyse_path(sample.path, points=points, points_source="calibration", use_saved=False,
                              progress=update, annotate=True)
    finally:
        bar.empty()
    return _sample_cache(sample.name, mtime, _computed=result)


def load_upload(name: str, data: bytes) -> Path | None:
    """Save the upload to a private temporary file and check that it is a readable video.
    Shows a plain st.error and returns None when it is not (the file is then deleted)."""
    if not data:
        st.error(f"“{name}” is empty (0 bytes). Choose the video file again; if it came from a phone, "
                 "wait until it has finished copying.")
        return None
    path = write_upload(name, data)
    try:
        check_video(path, name)
    except SourceError as e:
        remove_upload(path)
        st.error(f"{plain_reason(e)} Upload an MP4, MOV, AVI or WebM video, as recorded by a phone or a webcam.")
        return None
    except Exception:
        remove_upload(path)
        raise
    return path


def _sample_section(level: str) -> None:
    samples = list_samples()
    if not samples:
        st.info("No sample videos are installed (the folder sample_videos/ is empty). Choose “Your own "
                "video” above to analyse a recording.")
        return
    by_name = {s.name: s for s in samples}
    name = st.selectbox("Sample", list(by_name), format_func=lambda n: by_name[n].title, key="review_sample")
    sample = by_name[name]
    if sample.about:
        st.caption(f"{sample.about} Rendered by this project: no recording of a real person.")
    result = analyse_sample(sample)
    _show(result, level, f"sample-{name}", "Spine line from the calibration that comes with this sample.")


def _upload_section(level: str) -> None:
    up = st.file_uploader("Video of a massage session", type=list(VIDEO_TYPES), key="review_upload",
                          help="Film from above or from the side, with the whole back and both hands in view.")
    if up is None:
        st.info("Upload a video (MP4, MOV, AVI or WebM). It is analysed on this computer and is not kept: "
                "close the page and it is gone, unless you download the results.")
        st.session_state.pop(UPLOAD_RESULT, None)
        return
    c1, c2 = st.columns(2)
    stride = c1.selectbox("Analyse", list(STRIDES), format_func=STRIDES.get, key="review_stride",
                          help="Long videos: skipping frames makes the analysis faster, a little less precise.")
    saved = saved_line.load_or_explain("review")
    choices = [SPINE_AUTO] + ([SPINE_SAVED] if saved else []) + [SPINE_HAND]
    spine_choice = c2.radio("Spine line", choices, key="review_spine_choice",
                            help="The coach needs the line from the base of the neck to the sacrum. "
                                 "Automatic: from the strokes and the body's pose; you are asked when it is not sure.")
    path = load_upload(up.name, up.getvalue())
    if path is None:
        st.session_state.pop(UPLOAD_RESULT, None)
        return
    try:
        points, source = None, "pose"
        if spine_choice == SPINE_HAND:
            with st.expander("Spine line on a still of your video", expanded=True):
                edited = calibrate.spine_editor(still_frame(path), "review_spine")
                if edited is not None and st.button("Analyse with this spine line", type="primary",
                                                    key="review_go_manual"):
                    st.session_state[MANUAL_POINTS] = (up.file_id, edited)
            confirmed = st.session_state.get(MANUAL_POINTS)
            if not confirmed or confirmed[0] != up.file_id:
                st.info("Place the line on the still, then press “Analyse with this spine line”.")
                return
            points, source = confirmed[1], "manual"
        key = (up.file_id, stride, tuple(points.head) if points else spine_choice,
               tuple(points.sacrum) if points else None)
        cached = st.session_state.get(UPLOAD_RESULT)
        if cached is not None and cached[0] == key:
            result = cached[1]
        else:
            st.session_state.pop(UPLOAD_RESULT, None)
            bar, update = _progress_bar(f"Analysing “{up.name}”:")
            if points is None:
                bar.progress(0.0, text="Finding the spine line from the strokes and the body…")
            try:
                # The policy's chain: the line set by hand, or the saved one (checked against the
                # video's size), or the automatic one.
                result = analyse_path(path, points=points, points_source=source, progress=update, stride=stride,
                                      annotate=True, use_sidecar=False, use_saved=spine_choice == SPINE_SAVED,
                                      automatic=spine_choice == SPINE_AUTO)
            except SpineError as e:
                if spine_choice == SPINE_SAVED:  # the policy's size check: a line of another camera set-up
                    st.error("Your saved spine line was set on pictures of another size than this video's, so it "
                             "does not fit it. Under “Spine line”, choose “Set it by hand” or “Find it "
                             "automatically”.")
                    return
                reason = str(e).split(";")[0].removeprefix("no spine line: ")
                st.error(f"The spine line was not found surely enough ({reason}). Under “Spine line”, choose "
                         "“Set it by hand” and mark the base of the neck and the sacrum on a still of your video"
                         + (", or use your saved calibration." if saved else "."))
                return
            finally:
                bar.empty()
            st.session_state[UPLOAD_RESULT] = (key, result)
    finally:
        remove_upload(path)
    if result.truncated:
        st.warning(f"The video stops after {result.frames} of the {result.expected_frames} frames it announces: "
                   "the file may be cut short. The report covers the part that could be read.")
    _show(result, level, "upload-" + Path(up.name).stem)


def _show(result: SessionResult, level: str, stem: str, spine_note: str | None = None) -> None:
    sp = result.spine
    st.caption(spine_note or f"Spine line from {_SPINE_SOURCES.get(sp.source, sp.source)}.")
    if level != result.level:
        st.caption(f"Cues for the {level} level, from the same analysis; the banners on the video are the "
                   f"{result.level} level's.")
    show_report(result.report, "review", video=result.video, cues=list(result.cues_for(level)), file_stem=stem,
                trace=result.trace)


_SPINE_SOURCES = {"calibration": "the saved calibration", "pose": "MediaPipe Pose (found automatically)",
                  "auto:hands": "the strokes (found automatically)",
                  "auto:hands+pose": "the strokes and the body pose (found automatically)",
                  "auto:pose": "the body pose (found automatically)",
                  "manual": "the line you set by hand", "flag": "the command line", "track": "the track file"}


def render() -> None:
    st.title("Review a session")
    st.markdown("Analyse a recorded massage: which technique when, each stroke, hands over the spine, and "
                "the time spent on each technique against the guide.")
    level = coach_level()
    source = st.segmented_control("Video", SOURCES, default=SOURCES[0], key="review_source",
                                  label_visibility="collapsed") or SOURCES[0]
    if source == SOURCES[0]:
        _sample_section(level)
    else:
        _upload_section(level)


page = guard(render)
page.__name__ = "review"
