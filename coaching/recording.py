"""A recording (a video or a .jsonl track) through one Session: the command line's, the review
page's and the benchmark's one path.

A video is tracked on every core (tracker/parallel.py: its parts in child processes), its hands
pushed through a `Session`, and, when asked, drawn and encoded in a second pass (decoding in
this thread, drawing and encoding in the OverlayStage's) into an annotated mp4 that lives only
in memory.
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Callable

from feedback.analyzer import AnalyzerOptions
from tracker.filestore import private_folder, remove_folder
from tracker.types import SpinePoints

from . import spine_policy
from .session import Session, SessionResult
from .spine_policy import InputError

TRACK_SUFFIXES = (".jsonl",)
Progress = Callable[[int, int], None]


def check_input(path: Path) -> None:
    """InputError with a one-line reason for what is not a file that can be analysed."""
    try:
        st = path.stat()
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except OSError as e:
        raise InputError(f"{path}: {e.strerror}") from None
    if path.is_dir():
        raise InputError(f"{path}: is a folder, not a video or a track file")
    if not path.is_file():
        raise InputError(f"{path}: not a regular file (a device or a pipe); give a video or a track file")
    if st.st_size == 0:
        raise InputError(f"{path}: the file is empty (0 bytes)")


def analyse_path(path: str | Path, spine_flag: str | None = None, points: SpinePoints | None = None,
                 points_source: str = "manual", progress: Progress | None = None, stride: int = 1,
                 options: AnalyzerOptions | None = None, level: str = "beginner", annotate: bool = False,
                 use_saved: bool = True, use_sidecar: bool = True, automatic: bool = True) -> SessionResult:
    """Analyse a video or a track file. The spine line comes from the policy's chain (given as
    `spine_flag` or `points`, the track header, the sidecar, the saved calibration, automatic).
    Raises InputError or SpineError with a one-line reason; SourceError is turned into InputError."""
    from tracker.source import SourceError
    from tracker.trackfile import TrackFormatError

    path = Path(path)
    check_input(path)
    given = spine_flag or points
    source = "flag" if spine_flag else points_source
    if path.suffix.lower() in TRACK_SUFFIXES:
        try:
            return _track(path, given, source, options, level, use_saved, automatic)
        except TrackFormatError as e:
            raise InputError(f"{path}: {e}") from None
        except OSError as e:  # reading the track file (the models are not needed for a track)
            raise InputError(f"{path}: cannot read it ({e.strerror or e})") from None
    try:
        return _video(path, given, source, progress, stride, options, level, annotate, use_saved, use_sidecar,
                      automatic)
    except SourceError as e:
        raise InputError(str(e)) from None


def _track(path: Path, given, source: str, options, level: str, use_saved: bool, automatic: bool) -> SessionResult:
    from tracker.trackfile import iter_track

    header, frames = iter_track(path)
    kept: list = []

    def evidence():  # the hands may tell where the spine is
        kept.extend(frames)
        return [], kept, None

    spine = spine_policy.choose(header.width, header.height, spine_policy.chain(
        given, source, header.spine, saved=use_saved,
        automatic=spine_policy.Automatic(evidence) if automatic else None))
    session = Session(spine, level, options)
    for frame in (kept or frames):
        session.push_hands(frame)
    if session.frames == 0:
        raise InputError(f"{path}: the track has a header but no frames: nothing to analyse")
    return replace(session.finish(), fps=header.fps)


def _video(path: Path, given, source: str, progress: Progress | None, stride: int, options, level: str,
           annotate: bool, use_saved: bool, use_sidecar: bool, automatic: bool) -> SessionResult:
    from tracker.parallel import track_video_parallel
    from tracker.pipeline import sample_frames, video_header

    if use_sidecar and not given:
        spine_policy.Sidecar(path).points()  # a broken sidecar is said before the video is read
    header = video_header(path, stride=stride)
    seen = [0, 0]  # frames done, frames the container announces
    tracked: list = []

    def count(done: int, total: int) -> None:
        seen[:] = [done, total]
        if progress is not None:
            progress(done, total)

    def evidence():  # automatic: stills for the pose and outline, and the hands of the whole video
        tracked[:] = [track_video_parallel(path, stride=stride, progress=count)]
        return sample_frames(path, n=spine_policy.STILLS), tracked[0][0], None

    spine = spine_policy.choose(header.width, header.height, spine_policy.chain(
        given, source, video=path if use_sidecar else None, saved=use_saved,
        automatic=spine_policy.Automatic(evidence) if automatic else None))
    # On every core, on the region around the back, with each frame's brightness for the camera check.
    frames, light = tracked[0] if tracked else track_video_parallel(path, stride=stride, progress=count,
                                                                     spine=spine.points())
    session = Session(spine, level, options)
    updates = [session.push_hands(f, b) for f, b in zip(frames, light)]
    result = session.finish()
    video = _annotate(path, stride, updates, spine, header.fps, progress) if annotate and updates else None
    return replace(result, video=video, fps=header.fps, frames=seen[0] or len(updates), expected_frames=seen[1])


def _annotate(path: Path, stride: int, updates: list, spine, fps: float, progress: Progress | None) -> bytes | None:
    """The video again, each frame drawn with its own update (the result and the cue of that
    frame), encoded to an mp4 in a private folder that is read back and removed at once.

    A long video is drawn in consecutive parts at once, one thread each (decoding, drawing and
    encoding all release the GIL for most of their time), and the parts' mp4s are joined without
    re-encoding: on two cores the pass takes about half the time. The report is not touched."""
    folder = private_folder("review")
    try:
        plan = plan_parts_for_review(len(updates))
        out = folder / "annotated.mp4"
        written = _annotate_parts(path, stride, updates, spine, fps, progress, plan, folder, out) \
            if len(plan) > 1 else 0
        if not written:
            written = _annotate_whole(path, stride, updates, spine, fps, progress, out)
        return out.read_bytes() if written else None
    finally:
        remove_folder(folder)


# A part whose first frame drawn is this many frames past its start: the container's seek is
# not exact enough (no index); the video is then drawn in one pass.
LATE_SEEK_FRAMES = 3


def plan_parts_for_review(frames: int) -> list[tuple[int, int]]:
    """[start, end) indices of the updates drawn by each thread: one part per core, as the
    tracking's parts (a short video stays in one part)."""
    import os

    from tracker.parallel import plan_parts

    return plan_parts(frames, os.cpu_count() or 1)


def _annotate_whole(path: Path, stride: int, updates: list, spine, fps: float, progress: Progress | None,
                    out: Path) -> int:
    """In one pass: decoding in this thread, drawing and encoding in the OverlayStage's."""
    from tracker.source import VideoSource

    from .video import OverlayStage, VideoWriter

    with VideoSource(path, stride=stride) as src:
        writer = VideoWriter(out, src.width, src.height, fps)
        try:
            with OverlayStage(spine, writer.write) as stage:
                for i, ((_t, frame), u) in enumerate(zip(src, updates)):
                    stage.put(frame, u.result, u.cue)
                    if progress is not None and (i % 10 == 0 or i + 1 == len(updates)):
                        progress(i + 1, len(updates))
        finally:
            writer.close()
    return writer.frames


def _annotate_parts(path: Path, stride: int, updates: list, spine, fps: float, progress: Progress | None,
                    plan: list[tuple[int, int]], folder: Path, out: Path) -> int:
    """Parts [a, b) of `updates` drawn at once, one thread each, then joined; 0 if the parts
    cannot be joined (the caller then draws the video in one pass)."""
    import threading

    from .video import join_mp4

    done = [0] * len(plan)
    starts: list[tuple[float, int] | None] = [None] * len(plan)  # each part's first frame: time, index
    errors: list[BaseException] = []

    def run(k: int, a: int, b: int) -> None:
        try:
            starts[k] = _draw_part(path, stride, updates, a, b, spine, fps, folder / f"part{k}.mp4", done, k)
        except BaseException as e:  # noqa: BLE001 - raised in the caller's thread
            errors.append(e)

    threads = [threading.Thread(target=run, args=(k, a, b), name=f"annotate-{k}", daemon=True)
               for k, (a, b) in enumerate(plan)]
    for th in threads:
        th.start()
    for th in threads:
        while th.is_alive():
            th.join(0.2)
            if progress is not None:  # from the caller's thread (a Streamlit page's callback)
                progress(sum(done), len(updates))
    if errors:
        raise errors[0]
    if any(first is None or first[1] - a > LATE_SEEK_FRAMES for first, (a, _) in zip(starts, plan)):
        return 0  # a seek that lands well past a part's start would leave a hole in the video
    parts = [(folder / f"part{k}.mp4", first[0]) for k, first in enumerate(starts) if first is not None]
    try:
        join_mp4([(p, t - parts[0][1]) for p, t in parts], out)
    except ValueError:
        return 0
    if progress is not None:
        progress(len(updates), len(updates))
    return sum(done)


def _draw_part(path: Path, stride: int, updates: list, a: int, b: int, spine, fps: float, out: Path,
               done: list[int], k: int) -> tuple[float, int] | None:
    """Frames of updates[a:b] decoded (from a seek near frame a), drawn and encoded in this
    thread into `out`; each frame is paired with the update of its own time (a seek can land a
    frame off: a frame with no update of its time is left out). Returns the first frame drawn:
    its time and its index in `updates`."""
    from drawing.overlay import draw_overlay
    from tracker.source import VideoSource

    from .video import VideoWriter

    first: tuple[float, int] | None = None
    with VideoSource(path, stride=stride, read_ahead=0, start_frame=a * stride) as src:
        tol = 0.5 * stride / src.fps
        writer = VideoWriter(out, src.width, src.height, fps, threads=1)  # the parts share the cores
        try:
            i = a
            for t, frame in src:
                while i < b and updates[i].result.t < t - tol:
                    i += 1
                if i >= b:
                    break
                u = updates[i]
                if u.result.t > t + tol:
                    continue  # before this part's first frame: the part before draws it
                draw_overlay(frame, u.result, spine, u.cue)
                writer.write(frame, u.result.t)
                first = (u.result.t, i) if first is None else first
                done[k] += 1
                i += 1
        finally:
            writer.close()
    return first
