"""Analysis core of the massage coach: hand landmarks -> techniques, strokes, spine safety.

Plain numpy: no OpenCV, no files, no Streamlit. MediaPipe and video stay in `tracker`; drawing in
`drawing`; the session's wiring, the stores (calibration, history) and the command line in
`coaching`; the spine line's image evidence (OpenCV on stills) in `tracker.spine_image`."""
from .analyzer import AnalyzerOptions, FrameResult, HandState, SessionAnalyzer
from .report import SessionReport
from .spine import SpineError, SpineLine
from .strokes import Stroke

__all__ = ["AnalyzerOptions", "FrameResult", "HandState", "SessionAnalyzer", "SessionReport",
           "SpineError", "SpineLine", "Stroke"]
