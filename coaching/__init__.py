"""Orchestration: the one Session every path runs (command line, review page, live page,
benchmark), the spine line's policy, the calibration store, the annotated video and the
command line. Above the analysis core (`feedback`, numpy only) and the drawing (`drawing`);
below the pages (`views`, the only Streamlit)."""
from .session import Counters, FrameUpdate, Session, SessionFinished, SessionResult, SpineChange

__all__ = ["Counters", "FrameUpdate", "Session", "SessionFinished", "SessionResult", "SpineChange"]
