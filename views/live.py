"""Live practice page: the webcam through the coach, with the time per technique beside it.

The video runs through streamlit-webrtc: `LiveSession.callback` is called in a worker thread for
each frame (no st.* there); it runs the coaching Session and the overlay, and leaves
what the page shows in the session under a lock. The page reads it every second while playing.
When the stream stops, the measurement is finished into a report that stays on the page.
"""
from __future__ import annotations

import atexit
import datetime as dt
import logging
import threading
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import streamlit as st

from coaching import calibration
from coaching.session import Session, SessionResult
from drawing.overlay import draw_message, draw_overlay, draw_proposal
from feedback import guide
from feedback.routine import Routine
from feedback.sounds import SoundGate
from feedback.spine import SpineLine
from tracker import filestore  # noqa: F401 - first: its atexit then runs after WATCHDOG's
from feedback.spine_auto import CONFIRM_AT, SpineRefiner
from tracker.types import SpinePoints

from . import calibrate, saved_line, sound
from .widgets import (STATUS_TEXT, coach_level, guard, guide_notice, mmss, show_report, target_text)

LOG = logging.getLogger("massage_coach.live")

SESSION_KEY = "live_session"
RESULT_KEY = "live_result"
STILL_KEY = "live_still"
RECORD_KEY = "live_record"
FLASH_KEY = "live_flash"
MAX_RESULTS = 3
STALL_S = 4.0        # no frame for this long while playing: the stream has stopped (resources released)
NO_START_S = 15.0    # playing but no frame at all after this long
WORK_TIMEOUT_S = 10.0  # the longest the page waits for the frame worker to finish its frame
MAX_CLOCK_JUMP_S = 5.0  # a larger jump in the frames' clock is a restarted stream, not a pause


class Measurement:
    """One measurement: the analysis, kept across stream drops, and its heavy resources (the
    MediaPipe graph, the recording writer and its private folder), released by `suspend()`
    and taken again on the next frame.

    Only the frame worker calls `process`, with `work` held; whoever suspends or finishes takes
    `work` first (waiting at most one frame), so the two never run at once. The session lock
    is never held here."""

    def __init__(self, points: SpinePoints, level: str, record: bool, size: tuple[int, int]) -> None:
        self.size = size
        self.session = Session(SpineLine.from_points(points, size[0], size[1], "calibration"), level)
        self.refiner = SpineRefiner(size[0], size[1], points)  # a surer line from the strokes
        self.proposal = None  # its proposed line (AutoSpine), drawn until confirmed or dismissed
        self.record = record
        self.work = threading.Lock()
        self.writer = None
        self.folder: Path | None = None
        self.parts: list[bytes] = []
        self.notes: list[str] = []
        self.t0: float | None = None
        self.last_t: float | None = None
        self.last_wall: float | None = None
        self.frames = 0
        self.resized = 0
        self.suspended = False
        self.closed = False

    @property
    def video_path(self) -> Path | None:
        return None if self.writer is None else self.writer.path

    def _time(self, t_abs: float, now: float) -> float:
        """Seconds since the start, kept increasing. A resumed stream may restart its clock: the
        measurement then continues from where it was, after the wall-clock pause."""
        if self.t0 is None:
            self.t0 = t_abs
        t = t_abs - self.t0
        if self.last_t is not None and not (self.last_t < t <= self.last_t + MAX_CLOCK_JUMP_S):
            if self.last_t - 1.0 < t <= self.last_t:  # a repeated stamp
                t = self.last_t + 1e-3
            else:
                t = self.last_t + min(max(now - (self.last_wall or now), 1e-3), MAX_CLOCK_JUMP_S)
                self.t0 = t_abs - t
        return t

    def process(self, img: np.ndarray, t_abs: float):
        """Analyse and draw one frame (`work` held). Returns the drawn frame, result and cue."""
        import cv2

        h, w = img.shape[:2]
        if (w, h) != self.size:  # WebRTC adapts the resolution: same measurement, first size
            img = cv2.resize(img, self.size, interpolation=cv2.INTER_AREA)
            self.resized += 1
        now = time.monotonic()
        t = self._time(t_abs, now)
        self.suspended = False
        if self.frames == 0:  # the first picture, before anything is drawn on it
            _find_body(self.refiner, img.copy())
        update = self.session.push(img, t)
        result, cue = update.result, update.cue
        draw_overlay(img, result, update.spine, cue)
        if self.refiner.push(result.raw) is not None:
            self.proposal = self.refiner.proposal
        if self.proposal is not None:
            draw_proposal(img, self.proposal.points)
        if self.record:
            if self.writer is None:
                self._start_part()
            self.writer.write(img, t)
        self.last_t, self.last_wall = t, now
        self.frames += 1
        return img, update

    def _start_part(self) -> None:
        from tracker.filestore import private_folder

        from coaching.video import VideoWriter

        if self.parts:
            self.notes.append(f"The stream paused at {mmss(self.last_t)}: the recording continues in a new part.")
        self.folder = private_folder("live")
        self.writer = VideoWriter(self.folder / "live.mp4", self.size[0], self.size[1], 30.0)

    def _end_part(self) -> None:
        from tracker.filestore import remove_folder

        if self.writer is None:
            return
        writer, self.writer = self.writer, None
        try:
            writer.close()
            if writer.frames:
                self.parts.append(writer.path.read_bytes())
        except Exception as e:
            LOG.exception("could not finish the live recording")
            self.notes.append(f"A part of the recording could not be finished ({type(e).__name__}: {e}).")
        finally:
            remove_folder(self.folder)
            self.folder = None

    def suspend(self) -> None:
        """Releases the MediaPipe graph and ends the recording part (`work` held); the analysis
        stays, and continues if frames come again."""
        try:
            self.session.close()
        except Exception:
            LOG.exception("closing the hand tracker")
        self._end_part()
        self.suspended = True

    def change_spine(self, points: SpinePoints) -> None:
        """A new line from the next frame on (`work` held): the session goes on, in a new part
        measured against it; the report covers every part and says where the line changed."""
        self.session.change_spine(SpineLine.from_points(points, self.size[0], self.size[1], "calibration"))
        self.refiner = SpineRefiner(self.size[0], self.size[1], points)
        self.proposal = None

    def finish(self) -> SessionResult | None:
        """The report of everything measured (`work` held); releases everything."""
        self.suspend()
        self.closed = True
        if self.frames == 0:
            return None
        result = self.session.finish()
        notes = list(self.notes) + list(result.spine_notes())
        if self.resized:
            notes.append(f"The camera changed its picture size during the session: {self.resized} frames were "
                         f"scaled to the first size ({self.size[0]}×{self.size[1]}) and measured with the rest.")
        video = join_recording(self.parts, notes)
        return replace(result, video=video, notes=tuple(notes), ended_at=dt.datetime.now().strftime("%H:%M"))


def join_recording(parts: list[bytes], notes: list[str]) -> bytes | None:
    """The recording's parts (the stream paused between them) as one mp4, by copying the
    packets with shifted times (no re-encoding). If that fails, the longest part, said in `notes`."""
    parts = [p for p in parts if p]
    if len(parts) <= 1:
        return parts[0] if parts else None
    import io

    import av

    try:
        buf = io.BytesIO()
        with av.open(buf, "w", format="mp4") as out:
            ostream, offset = None, 0.0
            for data in parts:
                with av.open(io.BytesIO(data)) as inp:
                    istream = inp.streams.video[0]
                    if ostream is None:
                        ostream = out.add_stream_from_template(istream)
                    end = offset
                    for packet in inp.demux(istream):
                        if packet.dts is None:
                            continue
                        tb = packet.time_base
                        pts_s = float(packet.pts * tb) + offset
                        dts_s = float(packet.dts * tb) + offset
                        dur_s = float((packet.duration or 0) * tb)
                        packet.stream = ostream
                        packet.time_base = tb
                        packet.pts, packet.dts = round(pts_s / tb), round(dts_s / tb)
                        out.mux(packet)
                        end = max(end, pts_s + (dur_s or 1 / 30))
                    offset = end
        return buf.getvalue()
    except Exception as e:
        LOG.exception("could not join the recording's parts")
        notes.append(f"The recording has {len(parts)} parts that could not be joined ({type(e).__name__}); "
                     "the longest is shown.")
        return max(parts, key=len)


class LiveSession:
    """State shared by the frame callback (worker thread) and the page (script thread).

    `lock` guards the references only (a swap, never work): the frame worker analyses outside
    it, inside the Measurement's own `work` lock. Resources are released when the stream ends
    for any reason: STOP (the page's `stop`), the track ending (`ended`, streamlit-webrtc's
    on_video_ended), no frame for STALL_S (a tab closed or a connection lost: the watchdog), or
    the process ending (atexit). What was measured stays, for the page to show."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.points: SpinePoints | None = None
        self.level = "beginner"
        self.record = False
        self.accepting = False
        self.measurement: Measurement | None = None
        self.finished: list[SessionResult] = []   # measurements ended without the page (new spine line, ...)
        self.view: dict = {}                   # what the page shows of the last frame (a new dict per frame)
        self.error: str | None = None
        self.last_frame: np.ndarray | None = None
        self.last_wall: float | None = None
        self.begun_wall: float | None = None
        self._fps_times: list[float] = []
        self.sound = SoundGate()     # sounds due (the page plays them in the browser)
        self.routine = Routine()     # the guided session through the guide's Part 2
        self._stream = None       # weakref to the page's streamlit-webrtc context
        self._session_id: str | None = None
        WATCHDOG.watch(self)

    # -- compatibility views of the measurement ----------------------------------------------
    @property
    def session(self) -> Session | None:
        m = self.measurement
        return None if m is None or m.closed else m.session

    @property
    def video_path(self) -> Path | None:
        m = self.measurement
        return None if m is None else m.video_path

    # -- script side -------------------------------------------------------------------------
    def set_points(self, points: SpinePoints | None) -> None:
        """A new spine line. A measurement in progress goes on with it (a new part of the same
        session: the report covers both and says where the line changed); without a line the
        measurement is finished into a report (kept in `finished`)."""
        with self.lock:
            if points == self.points:
                return
            self.points = points
            m = self.measurement
            if points is None:
                self.measurement = None
        if points is None:
            result = _finish(m)
            if result is not None:
                with self.lock:
                    self.finished.append(result)
            return
        if m is not None and m.work.acquire(timeout=WORK_TIMEOUT_S):
            try:
                if not m.closed:
                    m.change_spine(points)
            finally:
                m.work.release()

    def begin(self, level: str, record: bool) -> None:
        with self.lock:
            old, self.measurement = self.measurement, None
            self.level, self.record = level, record
            self.accepting = True
            self.begun_wall = time.monotonic()
            self.error, self.view, self._fps_times = None, {}, []
        result = _finish(old)
        if result is not None:
            with self.lock:
                self.finished.append(result)

    def stop(self) -> SessionResult | None:
        """Finish the measurement (the stream has stopped). None if nothing was measured."""
        with self.lock:
            self.accepting = False
            m, self.measurement = self.measurement, None
        return _finish(m)

    def take_finished(self) -> list[SessionResult]:
        with self.lock:
            done, self.finished = self.finished, []
        return done

    def ended(self) -> None:
        """The video track ended (streamlit-webrtc's on_video_ended; a worker thread): release
        the graph and the recording now; the measurement waits for the page or for more frames."""
        self.release()

    def release(self) -> None:
        with self.lock:
            m = self.measurement
        if m is not None and not m.suspended and m.work.acquire(timeout=WORK_TIMEOUT_S):
            try:
                if not m.closed:
                    m.suspend()
            finally:
                m.work.release()

    def attach_stream(self, ctx, session_id: str | None) -> None:
        """The page's streamlit-webrtc context and Streamlit session, so that the watchdog can
        close the WebRTC connection (and its threads) of a tab that is gone."""
        import weakref

        try:
            ref = weakref.ref(ctx)
        except TypeError:  # a stand-in without a WebRTC worker (tests): nothing to close
            ref = None
        with self.lock:
            self._stream = ref
            self._session_id = session_id

    def since_frame(self, now: float) -> float:
        with self.lock:
            return 0.0 if self.last_wall is None else now - self.last_wall

    def drop_stream_if_tab_gone(self) -> bool:
        """Stops the WebRTC worker when this session's browser tab is gone (its websocket is
        closed): without it the connection's threads would wait for Streamlit's session
        time-out (2 minutes) or ICE's own. The measurement stays for the page, should the tab
        reconnect. Uses streamlit-webrtc's worker (`_get_worker`, 0.79): skipped if absent."""
        with self.lock:
            ref, sid = self._stream, self._session_id
        ctx = ref() if ref is not None else None
        if ctx is None or sid is None:
            return False
        from streamlit.runtime import Runtime

        if not Runtime.exists() or Runtime.instance().is_active_session(sid):
            return False
        worker = getattr(ctx, "_get_worker", lambda: None)()
        if worker is None:
            return False
        LOG.info("the live page's tab is gone: closing its WebRTC connection")
        with self.lock:
            self._stream = None
        worker.stop(timeout=WORK_TIMEOUT_S)
        return True

    def stale(self, now: float) -> bool:
        with self.lock:
            m, last = self.measurement, self.last_wall
        return m is not None and not m.suspended and last is not None and now - last > STALL_S

    def snapshot(self) -> dict:
        with self.lock:
            now = time.monotonic()
            fps = 0.0
            if len(self._fps_times) > 1:
                fps = (len(self._fps_times) - 1) / max(1e-6, self._fps_times[-1] - self._fps_times[0])
            view, m = self.view, self.measurement
            return {
                "accepting": self.accepting, "has_spine": self.points is not None,
                "frames": view.get("frames", 0) if m is not None else 0,
                "label": view.get("label", "idle"), "over_spine": view.get("over_spine", False),
                "cue": view.get("cue"), "counts": dict(view.get("counts", {})),
                "technique_seconds": dict(view.get("technique_seconds", {name: 0.0 for name in guide.TECHNIQUES})),
                "spine_alerts": view.get("spine_alerts", 0), "cues": list(view.get("cues", [])),
                "error": self.error, "hands": view.get("hands", 0),
                "spine_changes": list(view.get("spine_changes", [])),
                "since_frame": None if self.last_wall is None else now - self.last_wall,
                "since_begin": None if self.begun_wall is None else now - self.begun_wall,
                "fps": fps, "recording": m is not None and m.record and m.frames > 0,
                "camera": list(view.get("camera", [])),
                "proposal": None if m is None or m.proposal is None else (m.proposal.points, m.proposal.confidence),
                "sound": (self.sound.tones, self.sound.spoken, self.sound.text),
                "routine": self.routine.state(),
            }

    def accept_proposal(self) -> SpinePoints | None:
        """The user confirmed the line proposed from the strokes: it is used (and saved) from now
        on; the measurement so far is kept as its own report, and the next starts on the new line."""
        with self.lock:
            m = self.measurement
        if m is None or not m.work.acquire(timeout=WORK_TIMEOUT_S):
            return None
        try:
            if m.proposal is None:
                return None
            m.refiner.accept()
            pts, conf = m.proposal.points, m.proposal.confidence
            m.proposal = None
        finally:
            m.work.release()
        calibration.save(pts.head, pts.sacrum, "strokes", conf, m.size)
        self.set_points(pts)
        return pts

    def dismiss_proposal(self) -> None:
        with self.lock:
            m = self.measurement
        if m is not None and m.work.acquire(timeout=WORK_TIMEOUT_S):
            try:
                m.refiner.reject()
                m.proposal = None
            finally:
                m.work.release()

    def still(self) -> np.ndarray | None:
        with self.lock:
            frame = self.last_frame
        return None if frame is None else frame.copy()

    # -- worker side (no st.* here) ----------------------------------------------------------
    def callback(self, frame):
        import av

        img = frame.to_ndarray(format="bgr24")
        t_abs = frame.time if frame.time is not None else time.monotonic()
        still = img.copy()  # the picture for a still, before the overlay is drawn (outside the lock)
        now = time.monotonic()
        with self.lock:
            self.last_frame, self.last_wall = still, now
            accepting, points, m = self.accepting, self.points, self.measurement
            level, record = self.level, self.record
        if not accepting:
            draw_message(img, "Starting...")
        elif points is None:
            draw_message(img, "Set the spine line first (below)", "warn")
        else:
            if m is None:
                h, w = img.shape[:2]
                fresh = Measurement(points, level, record, (w, h))
                with self.lock:  # the page may have changed it meanwhile: the newest wins
                    if self.measurement is None and self.accepting and self.points == points:
                        self.measurement = fresh
                    m = self.measurement
                if m is None:
                    return av.VideoFrame.from_ndarray(img, format="bgr24")
            img = self._process(m, img, float(t_abs), now)
        return av.VideoFrame.from_ndarray(img, format="bgr24")

    def _process(self, m: Measurement, img: np.ndarray, t_abs: float, now: float) -> np.ndarray:
        with m.work:
            if m.closed:
                return img
            try:
                img, update = m.process(img, t_abs)
            except Exception as e:
                LOG.exception("frame processing failed")
                with self.lock:
                    self.error = f"The analysis stopped on a frame ({type(e).__name__}). Press STOP, then START."
                draw_message(img, "Analysis error: press STOP, then START", "alert")
                return img
            prev = self.view
            result, cue, session = update.result, update.cue, m.session
            counters = session.counters()
            # All from this one frame's update, so the panel shows the moment the overlay shows.
            view = {
                "frames": m.frames, "t": result.t, "label": result.label, "over_spine": result.over_spine,
                "hands": len(result.hands), "cue": cue,
                "counts": {"effleurage_up": counters.glides_up, "effleurage_down": counters.wrong_way,
                           "returns": counters.returns},
                "technique_seconds": session.technique_seconds(),
                "spine_alerts": counters.spine_alerts,
                "cues": session.recent_cues(),
                "spine_changes": [c.describe() for c in session.spine_changes[1:]],
                # The camera check of the last seconds, every 15 frames (it looks over a window).
                "camera": [p.message for p in session.camera_problems()] if m.frames % 15 == 0
                else prev.get("camera", []),
            }
        result = update.result
        with self.lock:
            self.view = view
            self._fps_times = (self._fps_times + [now])[-30:]
            self.sound.update(result.t, cue, result.over_spine)
            self.routine.update(result.t, result.label)
        return img


def _finish(m: Measurement | None) -> SessionResult | None:
    if m is None:
        return None
    if not m.work.acquire(timeout=WORK_TIMEOUT_S):
        LOG.error("the frame worker did not let go of the measurement in %.0f s", WORK_TIMEOUT_S)
        return None
    try:
        return None if m.closed else m.finish()
    finally:
        m.work.release()


class Watchdog:
    """One daemon thread per process: releases the resources of live sessions whose frames have
    stopped coming (a tab closed, a connection lost) within STALL_S + a second, and of all of
    them when the process exits (atexit; the recordings' folders go with them)."""

    def __init__(self) -> None:
        import weakref

        self._sessions: weakref.WeakSet = weakref.WeakSet()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def watch(self, live: LiveSession) -> None:
        with self._lock:
            self._sessions.add(live)
            if self._thread is None and not self._stop.is_set():
                self._thread = threading.Thread(target=self._run, name="live-watchdog", daemon=True)
                self._thread.start()

    def sessions(self) -> list[LiveSession]:
        with self._lock:
            return list(self._sessions)

    def _run(self) -> None:
        while not self._stop.wait(1.0):
            now = time.monotonic()
            for live in self.sessions():
                try:
                    if live.stale(now):
                        LOG.info("no frame for %.0f s: releasing the live session's tracker and recording", STALL_S)
                        live.release()
                    if live.since_frame(now) > STALL_S:
                        live.drop_stream_if_tab_gone()
                except Exception:
                    LOG.exception("releasing a stalled live session")

    def close_all(self) -> None:
        self._stop.set()
        for live in self.sessions():
            try:
                live.release()
            except Exception:
                LOG.exception("releasing a live session at exit")
        if self._thread is not None:
            self._thread.join(timeout=5.0)


WATCHDOG = Watchdog()
atexit.register(WATCHDOG.close_all)


def _find_body(refiner, still: np.ndarray) -> None:
    """Pose and outline of the first picture, in a thread of their own (about a second of
    MediaPipe): the refiner checks the strokes' line against them once they arrive."""
    def run() -> None:
        try:
            from coaching.spine_policy import body_evidence

            refiner.pose, refiner.outline = body_evidence([still])
        except Exception:  # without them the line is just never proposed
            LOG.exception("looking for the person in the picture")

    threading.Thread(target=run, name="spine-evidence", daemon=True).start()


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
        elif snap["frames"] and snap["hands"] and snap["label"] in guide.TECHNIQUES:
            st.success("Good: keep going.")  # only while a technique is going on, never idle or without hands
        for when in snap["spine_changes"]:
            st.info(f"The spine line changed at {when}: the report will cover the whole session, each part "
                    "measured against its own line.")
        for message in snap.get("camera", []):
            st.warning("Camera check: " + message)
    else:
        st.markdown("### Not running")
        st.caption("Press START to practise. The coach shows the technique it sees here, with one short cue "
                   "at a time; the report of each session appears below when you press STOP.")
    if not running:
        return
    _guided_step(live, snap["routine"])
    st.markdown("**Time per technique** (guide)")
    for name in guide.TARGETS:  # the techniques the guide gives a time for
        s = snap["technique_seconds"].get(name, 0.0)
        target = guide.TARGETS[name]
        status = "short" if s < target.min_s else "long" if s > target.max_s else "in range"
        st.progress(min(1.0, s / target.min_s),
                    text=f"{name.capitalize()}: {mmss(s)} of {target_text(name)} · {STATUS_TEXT[status]}")
    c = snap["counts"]
    cols = st.columns(3)
    cols[0].metric("Glides up", c.get("effleurage_up", 0))
    cols[1].metric("Wrong way", c.get("effleurage_down", 0),
                   help="Pressing glides toward the hips (the guide: press upward, toward the heart)")
    cols[2].metric("Spine alerts", snap["spine_alerts"])
    if snap["cues"]:
        st.markdown("**Recent cues**")
        st.markdown("\n".join(f"- {mmss(t)} {c.text}" for t, c in reversed(snap["cues"])))
    if playing and snap["frames"]:
        st.caption(f"Analysing {snap['fps']:.0f} frames per second"
                   + (" · recording" if snap["recording"] else ""))


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
                live.set_points(saved.points())
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
                    live.set_points(cal.points())
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
    live.set_points(saved.points() if saved else None)

    left, right = st.columns([3, 2], gap="large")
    with left:
        st.caption("Put the camera where it sees the whole back and both your hands, then press START. "
                   "The video stays on this computer.")
        record = st.toggle("Record the annotated video", key=RECORD_KEY, value=False,
                           help="Off by default. The recording is kept only until you leave the page, "
                                "unless you download it. Takes effect at the next START.")
        tone_on, speech_on = sound.toggles()
        if live.still() is None:  # no picture from the camera yet in this session
            from .device_note import camera_note

            camera_note()
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
    live.attach_stream(ctx, _session_id())
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
