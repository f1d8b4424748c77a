"""Analysis core of the massage coach: hand landmarks -> techniques, strokes, spine safety.

Plain numpy: no OpenCV, no files, no Streamlit. MediaPipe and video stay in `tracker`; drawing in
`drawing`; the session's wiring, the stores (calibration, history) and the command line in
`coaching`. (The automatic spine line's image evidence, spine_from_image.py, still uses OpenCV.)"""
from .analyzer import AnalyzerOptions, FrameResult, HandState, SessionAnalyzer
from .report import SessionReport
from .spine import SpineError, SpineLine
from .strokes import Stroke

__all__ = ["AnalyzerOptions", "FrameResult", "HandState", "SessionAnalyzer", "SessionReport",
           "SpineError", "SpineLine", "Stroke"]
