"""The live session behind the live page, without Streamlit: streamlit-webrtc's frame callback
(`LiveSession.callback`, in a worker thread) runs each frame through the coaching `Session` and
draws the overlay; what the page shows is left under a lock; the resources (MediaPipe, the
recording and its private folder) are released when the frames stop, for any reason.
"""
from __future__ import annotations

import atexit
import datetime as dt
import logging
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Callable

import numpy as np

from drawing.overlay import draw_message, draw_overlay, draw_proposal
from feedback import guide
from feedback.routine import Routine
from feedback.sounds import SoundGate
from feedback.spine import SpineLine
from tracker import filestore  # noqa: F401 - first: its atexit then runs after WATCHDOG's
from feedback.spine_auto import SpineRefiner
from tracker.types import SpinePoints

from . import calibration
from .live_stage import DrawStage
from .session import Session, SessionResult, clock

LOG = logging.getLogger("massage_coach.live")

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
    is never held here. `two_stage`: the overlay of frame n-1 is drawn in a thread of its own
    while frame n is tracked (coaching/live_stage.py); the page shows frames one frame late."""

    two_stage = True

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
        self.stage: DrawStage | None = None

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
        """Analyse one frame (`work` held); `show` draws it. Returns the frame and its update."""
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
        if self.refiner.push(update.result.raw) is not None:
            self.proposal = self.refiner.proposal
        self.last_t, self.last_wall = t, now
        self.frames += 1
        return img, update

    def show(self, img: np.ndarray, update, view: dict):
        """The frame to return (`work` held), drawn and recorded, with the update and panel view
        of that same frame. Two-stage: `img` is drawn in the stage's thread and the frame handed
        the time before is returned (the first time: `img` undrawn, update and view None)."""
        def draw(frame: np.ndarray, update=update, proposal=self.proposal) -> None:  # bound now
            draw_overlay(frame, update.result, update.spine, update.cue)
            if proposal is not None:
                draw_proposal(frame, proposal.points)
        if not self.two_stage:
            draw(img)
            self._record(img, update.t)
            return img, update, view
        if self.stage is None:
            self.stage = DrawStage()
        raw = img.copy() if self.stage.drawn == 0 and not self.stage.busy else None
        shown = self.stage.exchange(img, draw, (update, view))
        if shown is None:
            return raw, None, None
        frame, (update, view) = shown
        self._record(frame, update.t)
        return frame, update, view

    def _record(self, frame: np.ndarray, t: float) -> None:
        if self.record:
            if self.writer is None:
                self._start_part()
            self.writer.write(frame, t)

    def _start_part(self) -> None:
        from tracker.filestore import private_folder

        from coaching.video import VideoWriter

        if self.parts:
            self.notes.append(f"The stream paused at {clock(self.last_t)}: the recording continues in a new part.")
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
        stage, self.stage = self.stage, None
        if stage is not None:  # the frame still in the drawing is recorded, and the thread ends
            last = stage.close()
            if last is not None:
                self._record(last[0], last[1][0].t)
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

    # Whether a browser session (by id) is still connected: set by the page (views/live.py,
    # from Streamlit's runtime); None: never known, so the stream is never dropped from here.
    tab_alive: Callable[[str], bool] | None = None

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.points: SpinePoints | None = None
        self.points_size: tuple[int, int] | None = None  # the picture size the line was set on
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
    def set_points(self, points: SpinePoints | None, size: tuple[int, int] | None = None) -> None:
        """A new spine line (`size`: the picture size it was set on, when known: a new measurement
        starts only on frames of that size, the spine policy's check). A measurement in progress
        goes on with it (a new part of the same session: the report covers both and says where
        the line changed); without a line the measurement is finished into a report (kept in
        `finished`)."""
        with self.lock:
            self.points_size = None if size is None else tuple(size)
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
        if self.tab_alive is None or self.tab_alive(sid):
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
                "t": view.get("t"),  # the moment all of this is of (the overlay's clock shows the same)
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
        self.set_points(pts, m.size)
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
        elif m is None and not _fits(self.points_size, img):
            w, h = self.points_size
            draw_message(img, f"The spine line was set on {w}x{h} pictures: set it again for this camera", "warn")
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
            img, update, view = m.show(img, update, view)  # two-stage: the frame before, with its own view
            if update is None:  # the first frame: nothing drawn yet
                return img
        result = update.result
        with self.lock:
            self.view = view
            self._fps_times = (self._fps_times + [now])[-30:]
            self.sound.update(result.t, update.cue, result.over_spine)  # the shown frame's (two-stage: n-1)
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


def _fits(size: tuple[int, int] | None, img: np.ndarray) -> bool:
    """A line set on pictures of `size` applies to this frame (spine_policy.fits, on a frame)."""
    return size is None or tuple(size) == (img.shape[1], img.shape[0])
