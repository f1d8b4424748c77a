"""Outputs never destroy inputs: --out checked before any work, every file written atomically."""
from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest

from studio.session import Segment, random_rig, simulate
from tracker.filestore import OutputError, atomic_write, check_out, write_text
from tracker.trackfile import TrackWriter, read_track, write_track
from tracker.types import TrackHeader

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_videos" / "effleurage_up.mp4"
OLD = '{"old": "report, must survive"}\n'


def run(module, *args, env=None, preexec_fn=None):
    env = {**os.environ, "MASSAGE_COACH_HOME": tempfile.mkdtemp(), **(env or {})}
    return subprocess.run([sys.executable, "-m", module, *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT, timeout=180, env=env, preexec_fn=preexec_fn)


def one_line_error(p):
    return p.returncode == 2 and p.stderr.count("\n") == 1 and "Traceback" not in p.stderr


@pytest.fixture(scope="module")
def track(tmp_path_factory):
    rng = np.random.default_rng(3)
    rig = random_rig(rng)
    sim = simulate([Segment("effleurage", 4)], rig, rng)
    path = tmp_path_factory.mktemp("t") / "session.jsonl"
    write_track(path, TrackHeader(640, 480, rig.fps, sim.spine), sim.frames)
    return path


def test_atomic_write_keeps_the_old_file_when_the_writer_fails(tmp_path):
    target = tmp_path / "r.json"
    target.write_text(OLD)
    with pytest.raises(RuntimeError):
        with atomic_write(target) as f:
            f.write("half a new fi")
            raise RuntimeError("disk gone")
    assert target.read_text() == OLD
    assert os.listdir(tmp_path) == ["r.json"]  # the temporary file is gone too
    write_text(target, "new\n")
    assert target.read_text() == "new\n" and os.listdir(tmp_path) == ["r.json"]


def test_atomic_write_refuses_a_device_or_a_folder(tmp_path):
    with pytest.raises(OSError):
        with atomic_write("/dev/full") as f:
            f.write("x")
    with pytest.raises(OSError):
        with atomic_write(tmp_path) as f:
            f.write("x")


def test_check_out_refuses_inputs_folders_devices_and_missing_folders(tmp_path):
    video = tmp_path / "v.mp4"
    video.write_bytes(b"v")
    link = tmp_path / "link.mp4"
    link.symlink_to(video)
    for out, reason in ((video, "is the input"), (link, "is the input"), (tmp_path / "." / "v.mp4", "is the input"),
                        (tmp_path, "folder"), ("/dev/full", "not a regular file"),
                        (tmp_path / "no" / "r.json", "does not exist")):
        with pytest.raises(OutputError, match=reason):
            check_out(out, (video,))
    assert check_out(tmp_path / "r.json", (video,)) == tmp_path / "r.json"


def test_a_track_writer_that_fails_leaves_the_old_track(track, tmp_path):
    header, frames = read_track(track)
    out = tmp_path / "copy.jsonl"
    out.write_text(OLD)
    with pytest.raises(KeyboardInterrupt):
        with TrackWriter(out, header) as w:
            for i, f in enumerate(frames):
                w.write(f)
                if i == 10:
                    raise KeyboardInterrupt
    assert out.read_text() == OLD and sorted(os.listdir(tmp_path)) == ["copy.jsonl"]
    with TrackWriter(out, header) as w:
        for f in frames:
            w.write(f)
    assert len(read_track(out)[1]) == len(frames)


def test_analyze_refuses_to_overwrite_its_input(track, tmp_path):
    copy = tmp_path / "s.jsonl"
    copy.write_bytes(track.read_bytes())
    before = copy.read_bytes()
    for out in (copy, tmp_path / "." / "s.jsonl"):
        p = run("feedback", "analyze", copy, "--out", out)
        assert one_line_error(p) and "input" in p.stderr, p.stderr
    assert copy.read_bytes() == before


@pytest.mark.skipif(not SAMPLE.exists(), reason="sample video missing")
def test_track_refuses_to_overwrite_the_video(tmp_path):
    video = tmp_path / "v.mp4"
    video.write_bytes(SAMPLE.read_bytes())
    before = video.read_bytes()
    p = run("tracker", "track", video, "--out", video, "--spine", "0.5,0.2,0.5,0.8")
    assert one_line_error(p) and "input" in p.stderr, p.stderr
    assert video.read_bytes() == before


@pytest.mark.parametrize("out,needle", [(".", "folder"), ("/dev/full", "not a regular file"),
                                        ("/no/such/folder/r.json", "does not exist")])
def test_bad_out_is_one_line(track, out, needle):
    for p in (run("feedback", "analyze", track, "--out", out),
              run("tracker", "track", SAMPLE, "--out", out, "--spine", "0.5,0.2,0.5,0.8")):
        assert one_line_error(p) and needle in p.stderr, p.stderr


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_unwritable_out_folder_is_one_line(track, tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    p = run("feedback", "analyze", track, "--out", ro / "r.json")
    assert one_line_error(p) and "not writable" in p.stderr


def _small_file_limit():
    # A 2 kB file size limit: the report (tens of kB) cannot be written, as on a full disk.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (2048, 2048))


def test_a_write_that_fails_midway_keeps_the_old_report(track, tmp_path):
    out = tmp_path / "r.json"
    out.write_text(OLD)
    p = run("feedback", "analyze", track, "--out", out, preexec_fn=_small_file_limit)
    assert one_line_error(p) and "old file is unchanged" in p.stderr, p.stderr
    assert out.read_text() == OLD and os.listdir(tmp_path) == ["r.json"]


def test_a_failed_analysis_never_touches_an_existing_out(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"format": "massage-track", "version": 1, "width": 640, "height": 480, "fps": 30}\n{"t": "x"}\n')
    out = tmp_path / "r.json"
    out.write_text(OLD)
    p = run("feedback", "analyze", bad, "--out", out)
    assert one_line_error(p) and out.read_text() == OLD


KILL_DURING_SAVE = """if True:
    import os, sys, time
    from coaching import calibration
    real_fsync = os.fsync
    def slow_fsync(fd):
        print("writing", flush=True)   # the new calibration is half way: in a temporary file
        time.sleep(60)
    os.fsync = slow_fsync
    calibration.save((0.3, 0.1), (0.3, 0.9), "manual", 1.0, (640, 480))
"""


def test_killed_while_saving_a_calibration_the_old_one_is_intact(tmp_path, monkeypatch):
    from coaching import calibration

    monkeypatch.setenv("MASSAGE_COACH_HOME", str(tmp_path))
    old = calibration.save((0.5, 0.2), (0.5, 0.8), "manual", 1.0, (640, 480))
    before = (tmp_path / "calibration.json").read_bytes()
    proc = subprocess.Popen([sys.executable, "-c", KILL_DURING_SAVE], cwd=ROOT, stdout=subprocess.PIPE,
                            env={**os.environ, "MASSAGE_COACH_HOME": str(tmp_path)})
    try:
        assert proc.stdout.readline() == b"writing\n"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        proc.kill()
        proc.stdout.close()
    assert (tmp_path / "calibration.json").read_bytes() == before
    assert calibration.load() == old
    # The half-written temporary file is hidden, and never read as the calibration.
    assert [p.name for p in tmp_path.iterdir() if not p.name.startswith(".")] == ["calibration.json"]
    assert json.loads(before)["head"] == [0.5, 0.2]
