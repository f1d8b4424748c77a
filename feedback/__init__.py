"""Analysis core of the massage coach: hand landmarks -> techniques, strokes, spine safety.

Plain numpy; MediaPipe and OpenCV stay in `tracker` (and in `pipeline`, loaded on use)."""
from .analyzer import AnalyzerOptions, FrameResult, HandState, SessionAnalyzer
from .report import SessionReport
from .spine import SpineError, SpineLine
from .strokes import Stroke

__all__ = ["AnalyzerOptions", "FrameResult", "HandState", "SessionAnalyzer", "SessionReport",
           "SpineError", "SpineLine", "Stroke"]
