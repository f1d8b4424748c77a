"""Live practice page: the webcam through the coach, with the time per technique beside it.

The video runs through streamlit-webrtc: `LiveSession.callback` is called in a worker thread for
each frame (no st.* there); it runs the FrameProcessor, the Coach and the overlay, and leaves
what the page shows in the session under a lock. The page reads it every second while playing.
When the stream stops, the measurement is finished into a report that stays on the page.
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
import streamlit as st

from feedback import calibration, guide
from feedback.coach import Coach
from feedback.overlay import draw_message, draw_overlay
from feedback.report import SessionReport
from feedback.spine import SpineLine
from feedback.spine_auto import CONFIRM_AT, SpineRefiner
from tracker.types import SpinePoints

from . import calibrate
from .widgets import (STATUS_TEXT, coach_level, guard, guide_notice, mmss, show_report, target_text)

LOG = logging.getLogger("massage_coach.live")

SESSION_KEY = "live_session"
RESULT_KEY = "live_result"
STILL_KEY = "live_still"
RECORD_KEY = "live_record"
FLASH_KEY = "live_flash"
STALL_S = 5.0        # no frame for this long while playing: the stream has stopped
NO_START_S = 15.0    # playing but no frame at all after this long


@dataclass
class LiveResult:
    report: SessionReport
    video: bytes | None
    cues: list = field(default_factory=list)
    frames: int = 0
    ended_at: str = ""


class LiveSession:
    """State shared by the frame callback (worker thread) and the page (script thread)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.points: SpinePoints | None = None
        self.level = "beginner"
        self.record = False
        self.accepting = False
        self._reset()
        self.last_frame: np.ndarray | None = None
        self.last_wall: float | None = None

    def _reset(self) -> None:
        self.processor = None
        self.coach: Coach | None = None
        self.spine: SpineLine | None = None
        self.writer = None
        self.video_path: Path | None = None
        self.t0: float | None = None
        self.frames = 0
        self.begun_wall: float | None = None
        self.label = "idle"
        self.over_spine = False
        self.cue = None
        self.counts: dict = {}
        self.technique_seconds: dict = {name: 0.0 for name in guide.TECHNIQUES}
        self.spine_alerts = 0
        self.cues: list = []
        self.error: str | None = None
        self._fps_times: list[float] = []
        self.refiner = None  # feedback.spine_auto.SpineRefiner: a surer line from the strokes
        self.proposal = None  # its proposed line (AutoSpine), drawn until confirmed or dismissed

    # -- script side -------------------------------------------------------------------------
    def set_points(self, points: SpinePoints | None) -> None:
        """A new spine line: the measurement in progress (if any) starts again on it."""
        with self.lock:
            if points == self.points:
                return
            self.points = points
            self._close_processor()
            self.t0 = None

    def begin(self, level: str, record: bool) -> None:
        with self.lock:
            self._close_processor()
            self._reset()
            self.level, self.record = level, record
            self.accepting = True
            self.begun_wall = time.monotonic()

    def stop(self) -> LiveResult | None:
        """Finish the measurement (the stream has stopped). None if nothing was measured."""
        with self.lock:
            self.accepting = False
            if self.processor is None or self.frames == 0:
                self._close_processor()
                return None
            report = self.processor.finish()
            video = None
            if self.writer is not None:
                try:
                    self.writer.close()
                    video = self.video_path.read_bytes() if self.writer.frames else None
                except Exception:  # noqa: BLE001 - a failed recording must not lose the report
                    LOG.exception("could not finish the recording")
                self.writer = None
            cues = [(round(float(t), 2), c.text, c.severity) for t, c in (self.coach.history if self.coach else [])]
            result = LiveResult(report, video, cues, self.frames, dt.datetime.now().strftime("%H:%M"))
            self._close_processor()
            return result

    def snapshot(self) -> dict:
        with self.lock:
            now = time.monotonic()
            fps = 0.0
            if len(self._fps_times) > 1:
                fps = (len(self._fps_times) - 1) / max(1e-6, self._fps_times[-1] - self._fps_times[0])
            return {
                "accepting": self.accepting, "has_spine": self.points is not None, "frames": self.frames,
                "label": self.label, "over_spine": self.over_spine, "cue": self.cue,
                "counts": dict(self.counts), "technique_seconds": dict(self.technique_seconds),
                "spine_alerts": self.spine_alerts, "cues": list(self.cues[-6:]), "error": self.error,
                "since_frame": None if self.last_wall is None else now - self.last_wall,
                "since_begin": None if self.begun_wall is None else now - self.begun_wall,
                "fps": fps, "recording": self.writer is not None,
                "proposal": None if self.proposal is None else (self.proposal.points, self.proposal.confidence),
            }

    def accept_proposal(self) -> SpinePoints | None:
        """The user confirmed the line proposed from the strokes: it is used (and saved) from now
        on; the measurement starts again on it, as with any new line."""
        with self.lock:
            if self.proposal is None or self.refiner is None:
                return None
            self.refiner.accept()
            pts, conf, size = self.proposal.points, self.proposal.confidence, (self.spine.width, self.spine.height)
            self.proposal = None
        calibration.save(pts.head, pts.sacrum, "strokes", conf, size)
        self.set_points(pts)
        return pts

    def dismiss_proposal(self) -> None:
        with self.lock:
            if self.refiner is not None:
                self.refiner.reject()
            self.proposal = None

    def still(self) -> np.ndarray | None:
        with self.lock:
            return None if self.last_frame is None else self.last_frame.copy()

    def _close_processor(self) -> None:
        if self.processor is not None:
            try:
                self.processor.close()
            except Exception:  # noqa: BLE001
                LOG.exception("closing the frame processor")
        self.processor = None
        if self.writer is not None:
            try:
                self.writer.close()
            except Exception:  # noqa: BLE001
                pass
            self.writer = None
        if self.video_path is not None:
            self.video_path.unlink(missing_ok=True)
            self.video_path = None

    # -- worker side (no st.* here) ----------------------------------------------------------
    def callback(self, frame):
        import av

        img = frame.to_ndarray(format="bgr24")
        t_abs = frame.time if frame.time is not None else time.monotonic()
        with self.lock:
            self.last_frame = img.copy()
            self.last_wall = time.monotonic()
            if not self.accepting:
                draw_message(img, "Starting...")
            elif self.points is None:
                draw_message(img, "Set the spine line first (below)", "warn")
            else:
                try:
                    self._process(img, float(t_abs))
                except Exception as e:  # noqa: BLE001 - keep the stream alive, say it on the page
                    LOG.exception("frame processing failed")
                    self.error = f"The analysis stopped on a frame ({type(e).__name__}). Press STOP, then START."
                    draw_message(img, "Analysis error: press STOP, then START", "alert")
        return av.VideoFrame.from_ndarray(img, format="bgr24")

    def _process(self, img: np.ndarray, t_abs: float) -> None:
        from feedback.pipeline import FrameProcessor

        h, w = img.shape[:2]
        if self.processor is None or self.spine is None or (self.spine.width, self.spine.height) != (w, h):
            self._close_processor()
            self.spine = SpineLine.from_points(self.points, w, h, "calibration")
            self.processor = FrameProcessor(self.spine)
            self.refiner = SpineRefiner(w, h, self.points)
            _find_body(self.refiner, img.copy())
            self.proposal = None
            self.coach = Coach(self.level)
            self.t0 = t_abs
            self.frames = 0
            if self.record:
                from .processing import VideoWriter

                fd, name = tempfile.mkstemp(prefix="massage-coach-live-", suffix=".mp4")
                os.close(fd)
                self.video_path = Path(name)
                self.writer = VideoWriter(self.video_path, w, h, 30.0)
        t = t_abs - self.t0
        result = self.processor.process(img, t)
        cue = self.coach.update(result, self.processor.analyzer)
        draw_overlay(img, result, self.spine, cue)
        if self.refiner.push(result.raw) is not None:
            self.proposal = self.refiner.proposal
        if self.proposal is not None:
            _draw_proposal(img, self.proposal.points)
        if self.writer is not None:
            self.writer.write(img, t)
        self.frames += 1
        if result.over_spine and not self.over_spine:
            self.spine_alerts += 1
        self.label, self.over_spine, self.cue = result.label, result.over_spine, cue
        self.counts = dict(self.processor.analyzer.counts)
        self.technique_seconds = dict(self.coach.technique_seconds)
        self.cues = [(tt, c) for tt, c in self.coach.history[-6:]]
        self._fps_times = (self._fps_times + [time.monotonic()])[-30:]


def _find_body(refiner, still: np.ndarray) -> None:
    """Pose and outline of the first picture, in a thread of their own (about a second of
    MediaPipe): the refiner checks the strokes' line against them once they arrive."""
    def run() -> None:
        try:
            from feedback.pipeline import body_evidence

            refiner.pose, refiner.outline = body_evidence([still])
        except Exception:  # noqa: BLE001 - without them the line is just never proposed
            LOG.exception("looking for the person in the picture")

    threading.Thread(target=run, name="spine-evidence", daemon=True).start()


def _draw_proposal(img: np.ndarray, pts: SpinePoints) -> None:
    """The proposed line, dashed, with its head end marked, until the user answers."""
    h, w = img.shape[:2]
    a = np.array([pts.sacrum[0] * w, pts.sacrum[1] * h])
    b = np.array([pts.head[0] * w, pts.head[1] * h])
    for s0 in np.arange(0.0, 1.0, 0.1):
        p, q = a + (b - a) * s0, a + (b - a) * (s0 + 0.05)
        cv2.line(img, tuple(int(v) for v in p), tuple(int(v) for v in q), (0, 215, 255), 3, cv2.LINE_AA)
    cv2.circle(img, tuple(int(v) for v in b), 7, (0, 215, 255), -1, cv2.LINE_AA)
    draw_message(img, "New spine line from your strokes: confirm it below the video", "warn")


def live_session() -> LiveSession:
    if SESSION_KEY not in st.session_state:
        st.session_state[SESSION_KEY] = LiveSession()
    return st.session_state[SESSION_KEY]


# -- the page ----------------------------------------------------------------------------------

SEVERITY_BOX = {"alert": st.error, "warn": st.warning, "info": st.info}


def _panel(live: LiveSession, playing: bool) -> None:
    snap = live.snapshot()
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
        st.info(f"Your strokes show where the spine is ({snap['proposal'][1]:.0%} sure): the dashed yellow line "
                "on the video. Use it? The measurement starts again on it.")
        c = st.columns(2)
        c[0].button("Use this spine line", key="live_accept_line", on_click=live.accept_proposal, type="primary")
        c[1].button("Keep the current line", key="live_dismiss_line", on_click=live.dismiss_proposal)
    running = playing and snap["accepting"]
    if running:
        label = snap["label"] if snap["frames"] else "—"
        st.markdown(f"### Now: {label.capitalize() if label != '—' else label}")
        cue = snap["cue"]
        if cue is not None:
            SEVERITY_BOX[cue.severity](cue.text)
        elif snap["frames"]:
            st.success("Good: keep going.")
    else:
        st.markdown("### Not running")
        st.caption("Press START to practise. The coach shows the technique it sees here, with one short cue "
                   "at a time; the report of each session appears below when you press STOP.")
    if not running:
        return
    st.markdown("**Time per technique** (guide)")
    for name in guide.TECHNIQUES:
        s = snap["technique_seconds"].get(name, 0.0)
        target = guide.TARGETS[name]
        status = "short" if s < target.min_s else "long" if s > target.max_s else "in range"
        st.progress(min(1.0, s / target.min_s),
                    text=f"{name.capitalize()}: {mmss(s)} of {target_text(name)} · {STATUS_TEXT[status]}")
    c = snap["counts"]
    cols = st.columns(3)
    cols[0].metric("Glides up", c.get("effleurage_up", 0))
    cols[1].metric("Glides the wrong way", c.get("effleurage_down", 0),
                   help="Pressing glides toward the hips (the guide: press upward, toward the heart)")
    cols[2].metric("Spine alerts", snap["spine_alerts"])
    if snap["cues"]:
        st.markdown("**Recent cues**")
        st.markdown("\n".join(f"- {mmss(t)} {c.text}" for t, c in reversed(snap["cues"])))
    if playing and snap["frames"]:
        st.caption(f"Analysing {snap['fps']:.0f} frames per second"
                   + (" · recording" if snap["recording"] else ""))


_panel_refreshing = st.fragment(run_every=1.0)(_panel)


def _calibration_section(live: LiveSession, playing: bool) -> None:
    saved = calibration.load()
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
            from .processing import spine_from_frame

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
                live.set_points(saved.points())
                calibrate.set_points("live_spine_edit", saved.points())
                st.session_state[FLASH_KEY] = (f"Spine line found (confidence {conf:.0%}) and saved. Check it on "
                                               "the video; set it by hand below if it is off.")
                st.rerun()
            except calibration.CalibrationError as e:
                st.warning(f"The line found is not usable ({e}). Set it by hand below.")
    still = st.session_state.get(STILL_KEY)
    if still is not None:
        with st.expander("Set the spine line by hand", expanded=saved is None):
            pts = calibrate.spine_editor(still, "live_spine_edit", saved.points() if saved else None)
            if pts is not None and st.button("Save this spine line", type="primary", key="live_save_manual"):
                h, w = still.shape[:2]
                cal = calibration.save(pts.head, pts.sacrum, "manual", 1.0, (w, h))
                live.set_points(cal.points())
                st.session_state[FLASH_KEY] = "Spine line saved. It is used from now on, and next time."
                st.rerun()
    flash = st.session_state.pop(FLASH_KEY, None)
    if flash:
        st.success(flash)


def streamer(**kwargs):
    """The streamlit-webrtc component (replaced in tests that run without a browser)."""
    from streamlit_webrtc import webrtc_streamer

    return webrtc_streamer(**kwargs)


def render() -> None:
    from streamlit_webrtc import WebRtcMode

    st.title("Live practice")
    guide_notice()
    live = live_session()
    saved = calibration.load()
    live.set_points(saved.points() if saved else None)

    left, right = st.columns([3, 2], gap="large")
    with left:
        st.caption("Put the camera where it sees the whole back and both your hands, then press START. "
                   "The video stays on this computer.")
        record = st.toggle("Record the annotated video", key=RECORD_KEY, value=False,
                           help="Off by default. The recording is kept only until you leave the page, "
                                "unless you download it. Takes effect at the next START.")
        ctx = streamer(
            key="live",
            mode=WebRtcMode.SENDRECV,
            rtc_configuration={"iceServers": []},
            media_stream_constraints={"video": {"width": {"ideal": 640}, "height": {"ideal": 480}},
                                      "audio": False},
            video_frame_callback=live.callback,
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
    if not playing:
        help_text = ("Connect a webcam, or allow the camera for this page (the camera icon in the address bar) "
                     "and reload. Close other apps that use it (video calls), then press START again. No webcam "
                     "at all? Record a video with a phone and use **Review a session**.")
        with left:
            if live.still() is None:  # no picture has come from the camera in this session yet
                st.info("**Camera not found or blocked?** (a red message appears above the video)  \n" + help_text,
                        icon=":material/videocam_off:")
            else:
                with st.expander("Camera not working?"):
                    st.markdown(help_text)
    if playing and not live.accepting:
        live.begin(coach_level(), bool(record))
    elif not playing and live.accepting:
        result = live.stop()
        if result is not None:
            st.session_state[RESULT_KEY] = result
        elif live.snapshot()["has_spine"]:
            st.warning("The stream stopped before anything was measured. Press START to try again.")
    with right:
        (_panel_refreshing if playing else _panel)(live, playing)
    _calibration_section(live, playing)

    result: LiveResult | None = st.session_state.get(RESULT_KEY)
    if result is not None:
        st.divider()
        st.header(f"Your last session (ended {result.ended_at})")
        show_report(result.report, "live", video=result.video, cues=result.cues,
                    file_stem=f"live-{result.ended_at.replace(':', '')}")
        if st.button("Clear this report", key="live_clear"):
            st.session_state.pop(RESULT_KEY, None)
            st.rerun()


page = guard(render)
page.__name__ = "live"
