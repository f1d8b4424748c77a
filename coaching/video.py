"""The annotated video of a session: drawing each analysed frame in a second thread
(`OverlayStage`) and encoding it (`VideoWriter`, H.264 mp4 stamped with each frame's time)."""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Callable

import cv2
import numpy as np

from feedback.analyzer import FrameResult
from feedback.spine import SpineLine


class VideoWriter:
    """H.264 mp4 (plays in every browser) with each frame stamped at its own time, so a video
    with dropped or uneven frames plays back at the right speed."""

    def __init__(self, path: str | Path, width: int, height: int, fps: float = 30.0,
                 threads: int | None = None) -> None:
        import av

        self.path = Path(path)
        self._container = av.open(str(self.path), "w", options={"movflags": "+faststart"})
        rate = Fraction(max(1, int(round(fps or 30))), 1)
        self._stream = self._container.add_stream("libx264", rate=rate)
        # Even sizes: yuv420p needs them.
        self.width, self.height = width - width % 2, height - height % 2
        self._stream.width, self._stream.height = self.width, self.height
        self._stream.pix_fmt = "yuv420p"
        self._stream.time_base = Fraction(1, 1000)
        self._stream.codec_context.time_base = Fraction(1, 1000)
        # No B-frames: with uneven frame times (a live stream drops frames) reordered frames
        # would give the muxer non-increasing timestamps.
        self._stream.options = {"crf": "26", "preset": "veryfast", "bf": "0",
                                **({"threads": str(threads)} if threads else {})}
        self._last_pts = -1
        self._t0: float | None = None
        self.frames = 0

    def write(self, frame_bgr: np.ndarray, t: float) -> None:
        import av

        if self._t0 is None:
            self._t0 = t
        pts = max(int(round((t - self._t0) * 1000)), self._last_pts + 1)
        self._last_pts = pts
        img = frame_bgr[: self.height, : self.width]
        # To the encoder's planar YUV 4:2:0 by OpenCV (BT.601, limited range, as FFmpeg's own
        # conversion): a third of the time of PyAV's, and without the GIL.
        vf = av.VideoFrame.from_ndarray(cv2.cvtColor(img, cv2.COLOR_BGR2YUV_I420), format="yuv420p")
        vf.pts = pts
        vf.time_base = Fraction(1, 1000)
        for packet in self._stream.encode(vf):
            self._container.mux(packet)
        self.frames += 1

    def close(self) -> None:
        if self._container is None:
            return
        try:
            for packet in self._stream.encode():
                self._container.mux(packet)
        finally:
            self._container.close()
            self._container = None


Sink = Callable[[np.ndarray, float], None]
STAGE_TIMEOUT_S = 60.0  # the longest a frame may wait to be drawn and encoded (a 4K frame takes < 1 s)


class OverlayStage:
    """Draws the overlay on analysed frames of a recording in a second thread, in order, and
    hands each drawn frame to `sink` (e.g. a video writer's `write(frame, t)`).

    MediaPipe releases the GIL while it tracks, so frame n is drawn (and encoded) on the other
    core while frame n+1 is tracked: the overlay costs next to no wall time. `put` blocks when
    `depth` frames are waiting, which bounds the memory. The frame passed to `put` belongs to
    the stage from then on. Use as a context manager, or call `close` (which waits for every
    frame put, and raises what the sink raised)."""

    def __init__(self, spine: SpineLine, sink: Sink | None = None, depth: int = 4) -> None:
        import queue
        import threading

        self.spine = spine
        self.sink = sink
        self.drawn = 0
        self._failed = False                        # the sink failed: frames are dropped from then on
        self._error: BaseException | None = None    # that failure, until it is raised once
        self._queue: queue.Queue = queue.Queue(maxsize=depth)
        self._thread = threading.Thread(target=self._run, name="overlay", daemon=True)
        self._thread.start()

    def put(self, frame_bgr: np.ndarray, result: FrameResult, cue=None) -> None:
        import queue

        self._raise()
        if not self._thread.is_alive():
            raise RuntimeError("OverlayStage is closed")
        try:  # bounded: a drawing or encoding thread that hangs must not hang the caller too
            self._queue.put((frame_bgr, result, cue), timeout=STAGE_TIMEOUT_S)
        except queue.Full:
            raise RuntimeError(f"drawing the overlay stalled for {STAGE_TIMEOUT_S:.0f} s") from None

    def _run(self) -> None:
        import time

        from tracker.source import HELPER_DELAY_S

        from drawing.overlay import draw_overlay

        while True:
            item = self._queue.get()
            if item is None:
                return
            if self._failed:
                continue  # keep taking frames so that put() never blocks on a failed stage
            time.sleep(HELPER_DELAY_S)  # the tracker's Python steps first (see HELPER_DELAY_S)
            frame, result, cue = item
            try:
                draw_overlay(frame, result, self.spine, cue)
                if self.sink is not None:
                    self.sink(frame, result.t)
                self.drawn += 1
            except BaseException as e:  # noqa: BLE001 - raised in the caller's thread
                self._failed, self._error = True, e

    def _raise(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def close(self) -> None:
        """Waits for every frame put, then raises what the sink raised, if anything."""
        self.abandon()
        self._raise()

    def abandon(self) -> None:
        """Stops the thread without raising: for a caller that is already failing. Waits at
        most STAGE_TIMEOUT_S (the thread is a daemon; a hung sink is logged, not waited for)."""
        import logging
        import queue

        if self._thread.is_alive():
            try:
                self._queue.put(None, timeout=STAGE_TIMEOUT_S)
            except queue.Full:
                pass
            self._thread.join(STAGE_TIMEOUT_S)
            if self._thread.is_alive():
                logging.getLogger("massage_coach.pipeline").error(
                    "the overlay thread did not finish within %.0f s", STAGE_TIMEOUT_S)
                if self._error is None:
                    self._error = RuntimeError(f"drawing the overlay stalled for {STAGE_TIMEOUT_S:.0f} s")

    def __enter__(self) -> "OverlayStage":
        return self

    def __exit__(self, exc_type, *exc: object) -> None:
        if exc_type is None:
            self.close()
        else:  # already failing: that first error is the one to see
            self.abandon()


def join_mp4(parts: list[tuple[Path, float]], out: str | Path) -> int:
    """Concatenates mp4 files of one H.264 stream, made by `VideoWriter`s with the same settings,
    into `out` without re-encoding: each part's packets shifted by its start (seconds after the
    first part's, as given). The parts' stream headers (SPS/PPS) must be the same (ValueError if
    not): each part starts on a key frame, so the joined stream decodes as one. Returns packets."""
    import av

    inputs = [av.open(str(p)) for p, _ in parts]
    try:
        streams = [c.streams.video[0] for c in inputs]
        if any(s.codec_context.extradata != streams[0].codec_context.extradata for s in streams[1:]):
            raise ValueError("the parts' H.264 headers differ: they cannot be joined without re-encoding")
        container = av.open(str(out), "w", options={"movflags": "+faststart"})
        try:
            stream = container.add_stream_from_template(streams[0])
            last, count = None, 0
            for (_, start), c, s in zip(parts, inputs, streams):
                shift = int(round(start / s.time_base))
                for packet in c.demux(s):
                    if packet.dts is None:  # the demuxer's empty packet at the end
                        continue
                    packet.pts += shift
                    packet.dts += shift
                    if last is not None and packet.dts <= last:  # a rounding at the join
                        packet.pts += last + 1 - packet.dts
                        packet.dts = last + 1
                    last = packet.dts
                    packet.stream = stream
                    container.mux(packet)
                    count += 1
        finally:
            container.close()
        return count
    finally:
        for c in inputs:
            c.close()
