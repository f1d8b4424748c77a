"""Hand tracking for the massage coach: video -> timestamped hand landmarks -> track file.

Importing `tracker`, `tracker.types`, `tracker.trackfile` or `tracker.smoothing` loads only
numpy: the analysis core reads tracks without MediaPipe or OpenCV. The names that need
OpenCV or MediaPipe are loaded on first use (PEP 562 module __getattr__).
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .smoothing import HandSmoother, OneEuroFilter
from .trackfile import (TrackFormatError, TrackReader, TrackWriter, dumps_track, iter_track,
                        read_track, write_track)
from .types import Hand, HandFrame, SpinePoints, TrackHeader

_LAZY = {
    "DetectorOptions": "hands", "HandDetector": "hands",
    "SourceError": "source", "VideoSource": "source", "CameraSource": "source",
    "track_video": "pipeline", "track_frames": "pipeline", "video_header": "pipeline",
    "header_for": "pipeline", "sample_frames": "pipeline",
}

if TYPE_CHECKING:
    from .hands import DetectorOptions, HandDetector
    from .pipeline import header_for, sample_frames, track_frames, track_video, video_header
    from .source import CameraSource, SourceError, VideoSource

__all__ = [
    "Hand", "HandFrame", "SpinePoints", "TrackHeader",
    "OneEuroFilter", "HandSmoother",
    "TrackFormatError", "TrackReader", "TrackWriter", "read_track", "iter_track", "write_track",
    "dumps_track",
    # lazy (see _LAZY)
    "DetectorOptions", "HandDetector", "SourceError", "VideoSource", "CameraSource",
    "track_video", "track_frames", "video_header",
    "header_for", "sample_frames",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'tracker' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value
