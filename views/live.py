"""Live practice page: the webcam through the coach, with the time per technique beside it.

The video runs through streamlit-webrtc: `LiveSession.callback` (coaching/live.py, no Streamlit
there) is called in a worker thread for each frame; the page reads what it left every second
while playing. When the stream stops, the session's result stays on the page.
"""
from __future__ import annotations

import datetime as dt
import logging

import streamlit as st

from coaching import calibration
from coaching.live import NO_START_S, STALL_S, WATCHDOG, LiveSession, Measurement, join_recording  # noqa: F401
from coaching.session import SessionResult
from feedback import guide
from feedback.story import mmss as moment
from feedback.spine_auto import CONFIRM_AT

from . import calibrate, saved_line, sound
from .widgets import (STATUS_TEXT, coach_level, guard, guide_notice, mmss, show_report, target_text)

LOG = logging.getLogger("massage_coach.live")

SESSION_KEY = "live_session"
RESULT_KEY = "live_result"
STILL_KEY = "live_still"
RECORD_KEY = "live_record"
FLASH_KEY = "live_flash"
MAX_RESULTS = 3


def _tab_alive(session_id: str) -> bool:
    """Is this browser session still connected? (Streamlit's runtime; True when unknown.)"""
    from streamlit.runtime import Runtime

    return not Runtime.exists() or Runtime.instance().is_active_session(session_id)


LiveSession.tab_alive = staticmethod(_tab_alive)


def live_session() -> LiveSession:
    if SESSION_KEY not in st.session_state:
        st.session_state[SESSION_KEY] = LiveSession()
    return st.session_state[SESSION_KEY]


# -- the page ----------------------------------------------------------------------------------

SEVERITY_NAME = {"alert": "error", "warn": "warning", "info": "info"}  # the box a cue is shown in


def _panel(live: LiveSession, playing: bool) -> None:
    # The same slots, in the same order, on every run: the panel refreshes every second, and a
    # run that emits a different number of elements leaves the last run's elements on screen
    # until it completes (under load, a duplicate "Analysing ..." line, or two notes at once).
    # Each slot holds one element (a container for several) or nothing.
    messages, heading, cue_slot, notes, guided, times, counts, recent, rate = (st.empty() for _ in range(9))
    snap = live.snapshot()
    with messages.container():
        if snap["error"]:
            st.error(snap["error"])
        if playing and snap["accepting"]:
            if snap["since_frame"] is not None and snap["since_frame"] > STALL_S:
                st.warning(f"No picture from the camera for {snap['since_frame']:.0f} s: the stream has stopped. "
                           "Check that the camera is connected and not used by another app, then press STOP and "
                           "START again.")
            elif snap["frames"] == 0 and snap["has_spine"] and (snap["since_begin"] or 0) > NO_START_S:
                st.warning("The camera has not sent a picture yet. Check the browser allowed the camera, then "
                           "press STOP and START again.")
        if not snap["has_spine"]:
            st.info("Set the spine line (below) so the coach knows where the spine is.")
        if snap["proposal"] is not None:
            st.info(f"Your strokes show where the spine is ({snap['proposal'][1]:.0%} sure): the dashed yellow "
                    "line on the video. Use it? The measurement starts again on it.")
            c = st.columns(2)
            c[0].button("Use this spine line", key="live_accept_line", on_click=live.accept_proposal, type="primary")
            c[1].button("Keep the current line", key="live_dismiss_line", on_click=live.dismiss_proposal)
    running = playing and snap["accepting"]
    if not running:
        with heading.container():
            st.markdown("### Not running")
            st.caption("Press START to practise. The coach shows the technique it sees here, with one short cue "
                       "at a time; the report of each session appears below when you press STOP.")
        return
    label = snap["label"] if snap["frames"] else "—"
    t = snap.get("t")
    at = f" · {moment(t)}" if t is not None and snap["frames"] else ""  # the overlay's clock
    # The panel is of one frame (its time, as on the video's clock), label, cue and counts alike.
    heading.markdown(f"### Now: {label.capitalize() if label != '—' else label}{at}")
    cue = snap["cue"]
    if cue is not None:
        getattr(cue_slot, SEVERITY_NAME[cue.severity])(cue.text)
    elif snap["frames"] and snap["hands"] and snap["label"] in guide.TECHNIQUES:
        cue_slot.success("Good: keep going.")  # only while a technique is going on, never idle or without hands
    if snap["spine_changes"] or snap.get("camera"):
        with notes.container():
            for when in snap["spine_changes"]:
                st.info(f"The spine line changed at {when}: the report will cover the whole session, each part "
                        "measured against its own line.")
            for message in snap.get("camera", []):
                st.warning("Camera check: " + message)
    with guided.container():
        _guided_step(live, snap["routine"])
    with times.container():
        st.markdown("**Time per technique** (guide)")
        for name in guide.TARGETS:  # the techniques the guide gives a time for
            s = snap["technique_seconds"].get(name, 0.0)
            target = guide.TARGETS[name]
            status = "short" if s < target.min_s else "long" if s > target.max_s else "in range"
            st.progress(min(1.0, s / target.min_s),
                        text=f"{name.capitalize()}: {mmss(s)} of {target_text(name)} · {STATUS_TEXT[status]}")
    c = snap["counts"]
    with counts.container():
        cols = st.columns(3)
        cols[0].metric("Glides up", c.get("effleurage_up", 0))
        cols[1].metric("Wrong way", c.get("effleurage_down", 0),
                       help="Pressing glides toward the hips (the guide: press upward, toward the heart)")
        cols[2].metric("Spine alerts", snap["spine_alerts"])
    if snap["cues"]:
        recent.markdown("**Recent cues**\n\n" + "\n".join(f"- {mmss(t)} {c.text}" for t, c in reversed(snap["cues"])))
    if snap["frames"]:
        rate.caption(f"Analysing {snap['fps']:.0f} frames per second" + (" · recording" if snap["recording"] else ""))


_panel_refreshing = st.fragment(run_every=1.0)(_panel)


def _guided_step(live: LiveSession, state) -> None:
    """The guided session: the step to do now, its time against the guide, and a way on."""
    with st.container(border=True):
        n = len(live.routine.steps)
        head = "Guided session: all done" if state.step is None else \
            f"Guided session · step {state.index + 1} of {n}: {state.step.name}"
        st.markdown(f"**{head}**")
        st.caption(state.text)
        if state.step is not None and st.button("Next step" if state.next_name else "Finish",
                                                key="live_next_step",
                                                help="Move on now (the coach also moves on by itself when it sees "
                                                     "the next technique for a few seconds)"):
            with live.lock:
                live.routine.advance()


def _sound(live: LiveSession, tone_on: bool, speech_on: bool) -> None:
    tones, spoken, text = live.snapshot()["sound"]
    sound.player(tones, spoken, text, tone_on, speech_on)


_sound_refreshing = st.fragment(run_every=0.5)(_sound)


def _calibration_section(live: LiveSession, playing: bool) -> None:
    saved = saved_line.load_quietly()  # a broken file: render() showed why, with a button to forget it
    st.subheader("Spine line")
    if saved is not None:
        when = dt.datetime.fromtimestamp(saved.saved_at).strftime("%d %b %Y %H:%M") if saved.saved_at else "earlier"
        how = "found automatically" if saved.source in ("pose", "strokes") else "set by hand"
        st.caption(f"Saved spine line ({how}, {when}) is in use. Redo it whenever the camera or the person moves.")
    else:
        st.caption("The coach needs the line of the spine, from the base of the neck to the sacrum, as the camera "
                   "sees it. Start the camera with the person lying face down, then find it automatically or set "
                   "it by hand. It is remembered on this computer for next time.")
    still = st.session_state.get(STILL_KEY)
    c = st.columns(3)
    take = c[0].button("Take a still from the camera", key="live_take_still",
                       help="Freeze the current camera picture, to find or set the spine line on it")
    auto = c[1].button("Find the spine automatically", key="live_auto",
                       help="MediaPipe Pose looks for the person lying face down in the still")
    if take or auto:
        current = live.still()
        if current is not None:
            still = current
            st.session_state[STILL_KEY] = still
        if still is None:
            st.warning("No picture yet: press START above and allow the camera, then try again.")
            auto = False
    if saved is not None and c[2].button("Forget the saved line", key="live_forget"):
        calibration.clear()
        live.set_points(None)
        st.rerun()
    if auto:
        img = still
        with st.spinner("Looking for the person (MediaPipe Pose)…"):
            from coaching.spine_policy import from_still as spine_from_frame

            found = spine_from_frame(img)
        if found is None:
            st.warning("No person lying face down was found in this picture. Set the line by hand below: click "
                       "the base of the neck, then the sacrum.")
        elif found[1] < CONFIRM_AT:
            # A still alone rarely gives a sure line (README, "Finding the spine line"): propose, do not save.
            calibrate.set_points("live_spine_edit", found[0])
            st.warning(f"A rough spine line from the picture alone ({found[1]:.0%} sure) is placed in the editor "
                       "below. Check it: move the points to the base of the neck and the sacrum, then save it.")
        else:
            pts, conf = found
            h, w = img.shape[:2]
            try:
                saved = calibration.save(pts.head, pts.sacrum, "pose", conf, (w, h))
                live.set_points(saved.points(), saved.image_size)
                calibrate.set_points("live_spine_edit", saved.points())
                st.session_state[FLASH_KEY] = (f"Spine line found (confidence {conf:.0%}) and saved. Check it on "
                                               "the video; set it by hand below if it is off.")
                st.rerun()
            except (calibration.CalibrationError, OSError) as e:
                st.warning(f"The line found could not be saved ({e}). Set it by hand below.")
    still = st.session_state.get(STILL_KEY)
    if still is not None:
        # Collapsed once a report is on the page: the report must not sit below an open editor.
        with st.expander("Set the spine line by hand", expanded=saved is None and not st.session_state.get(RESULT_KEY)):
            pts = calibrate.spine_editor(still, "live_spine_edit", saved.points() if saved else None)
            if pts is not None and st.button("Save this spine line", type="primary", key="live_save_manual"):
                h, w = still.shape[:2]
                try:
                    cal = calibration.save(pts.head, pts.sacrum, "manual", 1.0, (w, h))
                except (calibration.CalibrationError, OSError) as e:
                    st.error(f"The spine line was not saved: {e}")
                else:
                    live.set_points(cal.points(), cal.image_size)
                    st.session_state[FLASH_KEY] = "Spine line saved. It is used from now on, and next time."
                    st.rerun()
    flash = st.session_state.pop(FLASH_KEY, None)
    if flash:
        st.success(flash)


def _session_id() -> str | None:
    try:
        from streamlit.runtime.scriptrunner import get_script_run_ctx

        run = get_script_run_ctx()
        return None if run is None else run.session_id
    except Exception:  # noqa: BLE001 - no session (bare mode): nothing to watch
        return None


def streamer(**kwargs):
    """The streamlit-webrtc component (replaced in tests that run without a browser)."""
    from streamlit_webrtc import webrtc_streamer

    return webrtc_streamer(**kwargs)


def render() -> None:
    from streamlit_webrtc import WebRtcMode

    st.title("Live practice")
    guide_notice()
    live = live_session()
    saved = saved_line.load_or_explain("live")
    live.set_points(saved.points() if saved else None, saved.image_size if saved else None)

    left, right = st.columns([3, 2], gap="large")
    with left:
        st.caption("Put the camera where it sees the whole back and both your hands, then press START. "
                   "The video stays on this computer.")
        record = st.toggle("Record the annotated video", key=RECORD_KEY, value=False,
                           help="Off by default. The recording is kept only until you leave the page, "
                                "unless you download it. Takes effect at the next START.")
        tone_on, speech_on = sound.toggles()
        note = st.empty()  # the camera note, filled once the stream's state is known (below)
        ctx = streamer(
            key="live",
            mode=WebRtcMode.SENDRECV,
            rtc_configuration={"iceServers": []},
            media_stream_constraints={"video": {"width": {"ideal": 640}, "height": {"ideal": 480}},
                                      "audio": False},
            video_frame_callback=live.callback,
            on_video_ended=live.ended,   # the track ended (tab closed, connection lost): release at once
            async_processing=True,
            translations={
                "start": "START", "stop": "STOP", "select_device": "SELECT DEVICE",
                "media_api_not_available": "This browser cannot use a camera on this address: open the app at "
                                           "http://localhost",
                "device_ask_permission": "Allow the camera when the browser asks",
                "device_not_available": "Camera not found or in use by another app",
                "device_access_denied": "Camera blocked: allow it for this page, then reload",
            },
        )
    playing = bool(ctx.state.playing)
    if not playing and live.still() is None:  # no picture from the camera yet in this session
        from .device_note import camera_note

        with note:
            camera_note()
    live.attach_stream(ctx, _session_id())
    if not playing:
        help_text = ("Connect a webcam, or allow the camera for this page (the camera icon in the address bar) "
                     "and reload. Close other apps that use it (video calls), then press START again. No webcam "
                     "at all? Record a video with a phone and use **Review a session**.")
        with left:
            # One note about the camera: before any picture, the browser's own check above the
            # video says whether a camera is there; what to do when it does not work is here.
            with st.expander("Camera not working?"):
                st.markdown("A red message appears above the video when the browser cannot use the camera.  \n"
                            + help_text)
    results: list[SessionResult] = st.session_state.setdefault(RESULT_KEY, [])
    results.extend(live.take_finished())
    if playing and not live.accepting:
        live.begin(coach_level(), bool(record))
        results.extend(live.take_finished())
    elif not playing and live.accepting:
        result = live.stop()
        if result is not None:
            results.append(result)
        elif live.snapshot()["has_spine"]:
            st.warning("The stream stopped before anything was measured. Press START to try again.")
    with right:
        (_panel_refreshing if playing else _panel)(live, playing)
        if playing:
            _sound_refreshing(live, tone_on, speech_on)
    _calibration_section(live, playing)

    del results[:-MAX_RESULTS]  # the reports (and recordings) of the last few sessions, in memory only
    for i, result in enumerate(reversed(results)):
        st.divider()
        st.header(f"Your last session (ended {result.ended_at})" if i == 0 else f"Earlier (ended {result.ended_at})")
        for note in result.notes:
            st.info(note)
        show_report(result.report, f"live{i}", video=result.video, cues=result.cues,
                    file_stem=f"live-{result.ended_at.replace(':', '')}", trace=result.trace)
    if results and st.button("Clear these reports" if len(results) > 1 else "Clear this report", key="live_clear"):
        st.session_state.pop(RESULT_KEY, None)
        st.rerun()


page = guard(render)
page.__name__ = "live"
