"""Hostile or odd videos, made here with PyAV/OpenCV (small): each ends in a clear one-line
message with exit 2, or a valid result; the command line warns when a video ends early."""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
SPINE = "0.5,0.2,0.5,0.8"


def write_mp4(path: Path, n: int, w: int, h: int, times=None, rate: int = 30, faststart: bool = False) -> Path:
    import av

    opts = {"movflags": "+faststart"} if faststart else {}
    with av.open(str(path), "w", options=opts) as c:
        s = c.add_stream("libx264", rate=rate)
        s.width, s.height, s.pix_fmt = w, h, "yuv420p"
        s.options = {"bf": "0"}
        s.codec_context.time_base = Fraction(1, 1000)
        rng = np.random.default_rng(0)
        for i in range(n):
            img = rng.integers(0, 255, (h, w, 3), dtype=np.uint8)
            vf = av.VideoFrame.from_ndarray(img, format="bgr24")
            vf.pts = int(round((times[i] if times is not None else i / rate) * 1000))
            vf.time_base = Fraction(1, 1000)
            for p in s.encode(vf):
                c.mux(p)
        for p in s.encode():
            c.mux(p)
    return path


def write_y4m(path: Path, n: int, w: int, h: int, rate: str) -> Path:
    import cv2

    with path.open("wb") as f:
        f.write(f"YUV4MPEG2 W{w} H{h} F{rate} Ip A1:1 C420jpeg\n".encode())
        for i in range(n):
            f.write(b"FRAME\n" + cv2.cvtColor(np.full((h, w, 3), 40 * i % 255, np.uint8),
                                               cv2.COLOR_BGR2YUV_I420).tobytes())
    return path


def cli(*args):
    env = {**os.environ, "MASSAGE_COACH_HOME": tempfile.mkdtemp()}
    return subprocess.run([sys.executable, "-m", *map(str, args)], capture_output=True, text=True, cwd=ROOT,
                          timeout=240, env=env)


def one_line_error(p, needle: str) -> bool:
    return (p.returncode == 2 and p.stderr.count("\n") == 1 and "Traceback" not in p.stderr
            and needle in p.stderr.lower())


@pytest.fixture(scope="module")
def videos(tmp_path_factory):
    import cv2

    d = tmp_path_factory.mktemp("odd videos")
    v = {}
    # An AVI with a header and no frame at all.
    w = cv2.VideoWriter(str(d / "zero.avi"), cv2.VideoWriter_fourcc(*"MJPG"), 30, (64, 48))
    w.release()
    v["zero frames"] = d / "zero.avi"
    v["one frame"] = write_mp4(d / "one.mp4", 1, 320, 240)
    v["1x1"] = write_y4m(d / "tiny.y4m", 3, 2, 2, "30:1")
    v["4000x3000"] = write_mp4(d / "big.mp4", 3, 4000, 3000)
    v["claims 0 fps"] = write_y4m(d / "fps0.y4m", 10, 64, 48, "0:1")
    v["claims 1000 fps"] = write_mp4(d / "fps1000.mp4", 20, 64, 48, times=[i / 1000 for i in range(20)], rate=1000)
    v["variable frame rate"] = write_mp4(d / "vfr.mp4", 12, 160, 120,
                                         times=[0, .03, .05, .2, .21, .4, .41, .42, .7, .9, 1.0, 1.5])
    v["spaces and non-ASCII"] = write_mp4(d / "Sésion de prueba ünï 按摩.mp4", 5, 160, 120)
    fifo = d / "fifo.mp4"
    os.mkfifo(fifo)
    v["a FIFO"] = fifo
    (d / "folder.mp4").mkdir()
    v["a folder"] = d / "folder.mp4"
    (d / "devzero.mp4").symlink_to("/dev/zero")
    v["/dev/zero"] = d / "devzero.mp4"
    return v


ENDINGS = {  # kind -> (exit code, needle in stderr)
    "zero frames": (2, "not a readable video"),
    "one frame": (0, ""),
    "1x1": (2, "too small to see hands"),
    "4000x3000": (0, ""),
    "claims 0 fps": (0, ""),
    "claims 1000 fps": (0, ""),
    "variable frame rate": (0, ""),
    "spaces and non-ASCII": (0, ""),
    "a FIFO": (2, "not a regular file"),
    "a folder": (2, "folder"),
    "/dev/zero": (2, "not a regular file"),
}


def analyze_here(*args) -> tuple[int, str]:
    """`python -m feedback analyze` in this process (MediaPipe loads once for all the kinds).
    Any exception but SystemExit escapes and fails the test: it would be a user's traceback."""
    import contextlib
    import io

    from coaching.cli import main

    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            code = main(["analyze", *map(str, args)])
        except SystemExit as e:
            code = e.code
    return code, err.getvalue()


@pytest.mark.parametrize("kind", list(ENDINGS))
def test_odd_video_is_a_one_line_error_or_a_report(videos, kind, monkeypatch, tmp_path):
    monkeypatch.setenv("MASSAGE_COACH_HOME", str(tmp_path))
    code, needle = ENDINGS[kind]
    got, err = analyze_here(videos[kind], "--spine", SPINE, "--summary")
    assert got == code, err
    if code == 2:
        assert err.count("\n") == 1 and needle in err.lower(), err


@pytest.mark.parametrize("kind", ["1x1", "4000x3000", "a FIFO", "spaces and non-ASCII"])
def test_odd_video_on_the_tracker_command_line(videos, kind, tmp_path):
    code, needle = ENDINGS[kind]
    out = tmp_path / "t.jsonl"
    p = cli("tracker", "track", videos[kind], "--out", out, "--spine", SPINE)
    assert "Traceback" not in p.stderr, p.stderr
    if code == 2:
        assert one_line_error(p, needle) and not out.exists(), p.stderr
        return
    assert p.returncode == 0, p.stderr
    from tracker.trackfile import read_track

    header, frames = read_track(out)
    assert len(frames) >= 1 and max(header.width, header.height) <= 1920
    ts = [f.t for f in frames]
    assert ts == sorted(ts) and len(set(ts)) == len(ts)


def test_a_huge_video_is_scaled_down_as_it_is_decoded(videos):
    from tracker.source import VideoSource

    with VideoSource(videos["4000x3000"]) as src:
        assert (src.source_width, src.source_height) == (4000, 3000) and (src.width, src.height) == (1920, 1440)
        shapes = {frame.shape for _, frame in src}
    assert shapes == {(1440, 1920, 3)}


def test_variable_frame_rate_keeps_the_containers_times(videos):
    from tracker.source import VideoSource

    with VideoSource(videos["variable frame rate"]) as src:
        ts = [t for t, _ in src]
    assert np.allclose(ts, [0, .03, .05, .2, .21, .4, .41, .42, .7, .9, 1.0, 1.5], atol=0.002)


def test_a_video_cut_short_is_analysed_with_a_warning_on_both_command_lines(tmp_path):
    full = write_mp4(tmp_path / "full.mp4", 120, 160, 120, faststart=True)
    data = full.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 2])
    for p in (cli("feedback", "analyze", cut, "--spine", SPINE, "--summary"),
              cli("tracker", "track", cut, "--out", tmp_path / "t.jsonl", "--spine", SPINE)):
        assert p.returncode == 0, p.stderr
        warning = [line for line in p.stderr.splitlines() if line.startswith("warning:")]
        assert len(warning) == 1 and "of the 120 frames it announces" in warning[0], p.stderr
    p = cli("feedback", "analyze", full, "--spine", SPINE, "--summary")
    assert p.returncode == 0 and "warning" not in p.stderr
