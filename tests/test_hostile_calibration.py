"""A broken spine calibration (the saved one, or a video's `<name>.spine.json`) is said plainly:
one line and exit 2 on the command line; on the app's pages an st.error with a "Forget the
saved line" button that works, on a page that still works."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from coaching import calibration
from coaching.calibration import CalibrationError
from coaching.spine_policy import InputError, Sidecar
from studio.session import Segment, random_rig, simulate
from tracker.trackfile import write_track
from tracker.types import TrackHeader

ROOT = Path(__file__).resolve().parents[1]
GOOD = {"version": 1, "head": [0.5, 0.2], "sacrum": [0.5, 0.8], "source": "manual", "confidence": 1.0,
        "image_size": [640, 480], "saved_at": 1.7e9}
BROKEN = {
    "null": "null",
    "a list": "[0.5, 0.2, 0.5, 0.8]",
    "a string": '"head"',
    "empty": "",
    "not JSON": "{head: 1}",
    "infinite point": json.dumps(GOOD).replace("0.2]", "Infinity]"),
    "NaN point": json.dumps(GOOD).replace("0.2]", "NaN]"),
    "infinite confidence": json.dumps({**GOOD, "confidence": 1e400}).replace("inf", "Infinity"),
    "deep nesting": "[" * 100_000 + "]" * 100_000,
    "deep nesting in head": json.dumps(GOOD).replace("[0.5, 0.2]", "[" * 50_000 + "]" * 50_000),
    "saved_at 1e20": json.dumps({**GOOD, "saved_at": 1e20}),
    "saved_at a string": json.dumps({**GOOD, "saved_at": "yesterday"}),
    "one-element point": json.dumps({**GOOD, "head": [0.5]}),
    "three-element point": json.dumps({**GOOD, "head": [0.5, 0.2, 0.1]}),
    "point of strings": json.dumps({**GOOD, "head": ["0.5", "0.2"]}),
    "point of booleans": json.dumps({**GOOD, "head": [True, False]}),
    "point outside": json.dumps({**GOOD, "head": [2, 0.5]}),
    "same points": json.dumps({**GOOD, "sacrum": [0.5, 0.2]}),
    "huge image_size": json.dumps({**GOOD, "image_size": [10 ** 30, 480]}),
    "huge integer point": json.dumps(GOOD).replace("0.2]", "1" + "0" * 400 + "]"),
    "unknown source": json.dumps({**GOOD, "source": ["manual"]}),
    "not UTF-8": b'{"head": "\xff\xfe"}',
    "too large": json.dumps({**GOOD, "pad": "x" * 200_000}),
}


def write(home: Path, content) -> Path:
    home.mkdir(parents=True, exist_ok=True)
    path = home / "calibration.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    return path


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv(calibration.ENV_HOME, str(tmp_path / "home"))
    return tmp_path / "home"


@pytest.mark.parametrize("name", list(BROKEN))
def test_a_broken_calibration_is_a_one_line_reason_naming_the_file(home, name):
    path = write(home, BROKEN[name])
    with pytest.raises(CalibrationError) as e:
        calibration.load()
    assert str(path) in str(e.value) and "\n" not in str(e.value) and len(str(e.value)) < 300
    assert calibration.clear() and calibration.load() is None


def test_a_folder_in_place_of_the_calibration(home):
    (home / "calibration.json").mkdir(parents=True)
    with pytest.raises(CalibrationError, match="folder"):
        calibration.load()
    assert calibration.clear() and calibration.load() is None  # an empty folder is removed
    (home / "calibration.json").mkdir()
    (home / "calibration.json" / "keep.txt").write_text("someone's file")
    with pytest.raises(CalibrationError, match="remove it by hand"):
        calibration.clear()
    assert (home / "calibration.json" / "keep.txt").exists()


def test_a_good_calibration_still_loads(home):
    write(home, json.dumps(GOOD))
    cal = calibration.load()
    assert cal.points().head == (0.5, 0.2) and cal.image_size == (640, 480)


@pytest.fixture(scope="module")
def track_without_spine(tmp_path_factory):
    rng = np.random.default_rng(2)
    rig = random_rig(rng)
    sim = simulate([Segment("effleurage", 3)], rig, rng)
    path = tmp_path_factory.mktemp("t") / "nospine.jsonl"
    write_track(path, TrackHeader(640, 480, rig.fps, None), sim.frames)
    return path


@pytest.mark.parametrize("name", ["null", "a list", "infinite point", "deep nesting", "saved_at 1e20",
                                  "one-element point", "folder"])
def test_command_line_with_a_broken_calibration_exits_2_with_one_line(tmp_path, track_without_spine, name):
    home = tmp_path / "home"
    if name == "folder":
        (home / "calibration.json").mkdir(parents=True)
    else:
        write(home, BROKEN[name])
    p = subprocess.run([sys.executable, "-m", "feedback", "analyze", str(track_without_spine)], cwd=ROOT,
                       capture_output=True, text=True, timeout=120, env={**os.environ, "MASSAGE_COACH_HOME": str(home)})
    assert p.returncode == 2 and p.stderr.count("\n") == 1 and "Traceback" not in p.stderr, p.stderr
    assert "saved spine calibration" in p.stderr and "calibration.json" in p.stderr


@pytest.mark.parametrize("content", ["null", '{"head": [0.5], "sacrum": [0.5, 0.8]}', "[" * 100_000,
                                     '{"head": [0.5, Infinity], "sacrum": [0.5, 0.8]}', "folder"])
def test_a_malformed_sidecar_is_refused_by_the_command_line_and_the_app_alike(tmp_path, content):
    from views.processing import sample_spine

    video = tmp_path / "v.mp4"
    video.write_bytes(b"not read: the sidecar is checked first")
    side = tmp_path / "v.spine.json"
    if content == "folder":
        side.mkdir()
    else:
        side.write_text(content)
    for read in (lambda v: Sidecar(v).points(), sample_spine):  # the command line's and the app's
        with pytest.raises(InputError) as e:
            read(video)
        assert "v.spine.json" in str(e.value) and "\n" not in str(e.value)
    p = subprocess.run([sys.executable, "-m", "feedback", "analyze", str(video)], cwd=ROOT, capture_output=True,
                       text=True, timeout=120, env={**os.environ, "MASSAGE_COACH_HOME": str(tmp_path / "h")})
    assert p.returncode == 2 and p.stderr.count("\n") == 1 and "spine.json" in p.stderr, p.stderr


def _live_script():
    from views import live, nav

    nav.register(nav.pages())  # as app.py does: the page links to the others
    live.page()


@pytest.fixture
def no_webrtc(monkeypatch):
    from types import SimpleNamespace

    monkeypatch.setattr("views.live.streamer",
                        lambda **kwargs: SimpleNamespace(state=SimpleNamespace(playing=False, signalling=False)))


@pytest.mark.parametrize("name", ["null", "a list", "infinite point", "deep nesting", "saved_at 1e20",
                                  "one-element point", "folder"])
def test_live_page_says_the_file_is_broken_and_forgetting_it_works(home, no_webrtc, name):
    if name == "folder":
        (home / "calibration.json").mkdir(parents=True)
    else:
        write(home, BROKEN[name])
    at = AppTest.from_function(_live_script, default_timeout=30).run()
    assert not at.exception, [e.value for e in at.exception]
    errors = [e.value for e in at.error]
    assert any("saved spine line cannot be used" in e and "calibration.json" in e for e in errors), errors
    assert not any("Something went wrong" in e for e in errors)
    assert "Set the spine line (below)" in "\n".join(m.value for m in at.info)  # the page goes on without it
    forget = [b for b in at.button if b.label == "Forget the saved line"]
    assert len(forget) == 1
    forget[0].click()
    at.run()
    assert not at.exception and not at.error
    assert not (home / "calibration.json").exists()
