"""The live page's second stage: the overlay of frame n-1 drawn in a thread of its own while the
frame worker tracks and analyses frame n (MediaPipe runs without the GIL, on one core; the
drawing takes the other). The worker then returns frame n-1, drawn with its own update: the
picture on the live page is one frame behind the camera (33 ms at 30 fps, up to 66 ms when the
camera sends 15), and the panel is published with that same frame, so both show one moment.

`DrawStage.exchange` hands the stage a frame and its drawing, and takes back the frame handed
the time before, drawn (it waits for that drawing, which has had a whole tracking's time).
The lock is held only to swap references. `close` stops the thread (the measurement's
`suspend`, i.e. STOP, the track ending, the watchdog, a new session or the process ending).
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Any, Callable

import numpy as np

from tracker.source import HELPER_DELAY_S

LOG = logging.getLogger("massage_coach.live")

DRAW_TIMEOUT_S = 10.0  # the longest the worker waits for one frame's drawing (it takes about a millisecond)

Draw = Callable[[np.ndarray], None]


class DrawStage:
    """One frame in the drawing at a time: `exchange(frame, draw, payload)` returns the frame
    handed before (with its payload), drawn by `draw` in the stage's thread, or None the first
    time (nothing drawn yet). The frame belongs to the stage from then on."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._job: tuple[np.ndarray, Draw, Any] | None = None     # waiting to be drawn
        self._done: tuple[np.ndarray, Any] | None = None          # drawn, waiting to be taken
        self.busy = False    # a frame is handed and not yet taken back
        self._closed = False
        self.drawn = 0
        self._thread = threading.Thread(target=self._run, name="live-overlay", daemon=True)
        self._thread.start()

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def exchange(self, frame: np.ndarray, draw: Draw, payload: Any = None) -> tuple[np.ndarray, Any] | None:
        """Hands `frame` to be drawn; returns the frame handed the time before, drawn, and its
        payload (None the first time)."""
        previous = self.take()
        with self._wake:
            if self._closed:
                raise RuntimeError("the drawing stage is closed")
            self._job, self.busy = (frame, draw, payload), True
            self._wake.notify_all()
        return previous

    def take(self) -> tuple[np.ndarray, Any] | None:
        """The frame handed last, drawn (waits for its drawing), and nothing handed any more;
        None if none is handed."""
        with self._wake:
            if not self.busy:
                return None
            if not self._wake.wait_for(lambda: self._done is not None or not self._thread.is_alive(),
                                       DRAW_TIMEOUT_S) or self._done is None:
                self.busy = False
                raise RuntimeError(f"drawing the live overlay stalled for {DRAW_TIMEOUT_S:.0f} s")
            done, self._done, self.busy = self._done, None, False
        return done

    def _run(self) -> None:
        while True:
            with self._wake:
                self._wake.wait_for(lambda: self._job is not None or self._closed)
                if self._job is None:  # closed, nothing left to draw
                    return
                job, self._job = self._job, None
            frame, draw, payload = job
            # The worker's few Python steps before MediaPipe first (tracker.source.HELPER_DELAY_S):
            # starting at once, this thread would hold the GIL they need.
            time.sleep(HELPER_DELAY_S)
            try:
                draw(frame)
            except Exception:  # the frame is shown undrawn rather than the stream stopping
                LOG.exception("drawing the live overlay failed")
            with self._wake:
                self._done = (frame, payload)
                self.drawn += 1
                self._wake.notify_all()

    def close(self, timeout: float = DRAW_TIMEOUT_S) -> tuple[np.ndarray, Any] | None:
        """Stops the thread; returns the frame still in the drawing, drawn (None if none)."""
        try:
            last = self.take()
        except RuntimeError:
            LOG.exception("closing the live drawing stage")
            last = None
        with self._wake:
            self._closed = True
            self._wake.notify_all()
        self._thread.join(timeout)
        return last
