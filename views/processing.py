"""The work behind the pages, without Streamlit: samples, stills, uploads. (A recording's
analysis is coaching.recording.analyse_path, the command line's own.)

Kept free of `st.*` so it can be tested and reused directly; the pages only display.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

import tracker.console  # noqa: F401  first: FFmpeg stays quiet about a bad upload ("moov atom not found")
from feedback.spine import SpineError
from tracker.filestore import private_folder, remove_folder
from tracker.types import SpinePoints

ROOT = Path(__file__).resolve().parents[1]
SAMPLES_DIR = ROOT / "sample_videos"
VIDEO_TYPES = ("mp4", "mov", "avi", "webm")
DEFAULT_SAMPLE = "mini_session"  # the session the README runs

Progress = Callable[[int, int], None]


# -- bundled samples ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Sample:
    name: str
    path: Path
    about: str

    @property
    def title(self) -> str:
        return self.name.replace("_", " ").capitalize()


def list_samples(folder: Path = SAMPLES_DIR) -> list[Sample]:
    """Bundled sample videos (those that exist and are not empty), the default one first."""
    out = []
    for p in sorted(folder.glob("*.mp4")):
        try:
            if p.stat().st_size == 0:
                continue
        except OSError:
            continue
        about = ""
        truth = p.with_name(p.stem + ".truth.json")
        try:
            about = str(json.loads(truth.read_text()).get("about", ""))
        except (OSError, ValueError, AttributeError):
            pass
        out.append(Sample(p.stem, p, about))
    out.sort(key=lambda s: (s.name != DEFAULT_SAMPLE, s.name))
    return out


def sample_spine(video: Path) -> SpinePoints | None:
    """The spine calibration that comes with a bundled sample: `<name>.spine.json` (read and
    checked by the same code as the command line: a malformed one raises InputError, shown on
    the page), else the "spine" of `<name>.truth.json`."""
    from coaching.calibration import CalibrationError, spine_points
    from coaching.spine_policy import Sidecar

    pts = Sidecar(video).points()
    if pts is not None:
        return pts
    try:
        return spine_points(json.loads(video.with_name(video.stem + ".truth.json").read_text())["spine"])
    except (OSError, ValueError, KeyError, TypeError, RecursionError, CalibrationError):
        return None


def still_frame(path: Path, where: float = 0.5) -> np.ndarray:
    """One BGR frame from `where` (0-1) into the video, for drawing a spine line on.
    Raises SourceError for an unreadable file."""
    import cv2

    from tracker.source import SourceError, VideoSource

    with VideoSource(path) as src:
        count, first = src.frame_count, None
        for _, frame in src:
            first = frame
            break
    if count > 1:
        cap = cv2.VideoCapture(str(path))
        try:
            cap.set(cv2.CAP_PROP_POS_FRAMES, int(where * (count - 1)))
            ok, frame = cap.read()
            if ok and frame is not None:
                return frame
        finally:
            cap.release()
    if first is None:
        raise SourceError(f"not a readable video: {path.name}")
    return first


def write_upload(name: str, data: bytes) -> Path:
    """The uploaded bytes in a file of a private temporary folder; the caller removes it with
    `remove_upload` (and the folder goes at exit, or at the next start after a kill)."""
    suffix = Path(name).suffix.lower() if Path(name).suffix.lower() in {f".{t}" for t in VIDEO_TYPES} else ".mp4"
    folder = private_folder("upload")
    path = folder / f"upload{suffix}"
    try:
        path.write_bytes(data)
    except BaseException:
        remove_folder(folder)
        raise
    return path


def remove_upload(path: Path) -> None:
    """Removes an upload written by `write_upload`, with its folder."""
    remove_folder(path.parent)


def check_video(path: Path, name: str | None = None) -> None:
    """Raise SourceError with a plain reason when `path` is not a video we can analyse."""
    from tracker.source import SourceError, VideoSource

    label = name or path.name
    if path.stat().st_size == 0:
        raise SourceError(f"“{label}” is empty (0 bytes).")
    try:
        with VideoSource(path):
            pass
    except SourceError as e:
        if "too small" in str(e):
            raise SourceError(f"“{label}” is {str(e).split(',')[0]}: too small to see hands.") from None
        raise SourceError(f"“{label}” is not a video that can be read (the file may be damaged, "
                          "cut short, or not a video at all).") from None


__all__ = ["Sample", "list_samples", "sample_spine", "still_frame", "write_upload", "remove_upload", "check_video",
           "SpineError"]
