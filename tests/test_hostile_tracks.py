"""Hostile track files: each is refused with a one-line reason (TrackFormatError; exit 2 on the
command line) or read as a valid track; never a traceback, never an existing --out lost.

Named cases first (each a crash or a nonsense report before), then property-based fuzz
(hypothesis) of the reader and of `python -m feedback analyze` run in this process."""
from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tracker.trackfile import MAX_LINE_BYTES, TrackFormatError, read_track

HEADER = {"format": "massage-track", "version": 1, "width": 640, "height": 480, "fps": 30,
          "spine": {"head": [0.5, 0.2], "sacrum": [0.5, 0.8]}}
LM = [[0.5 + 0.01 * i, 0.5, 0.0] for i in range(21)]
HAND = {"handedness": "Right", "score": 0.9, "landmarks": LM}
OLD = b'{"an old report": "must survive a failed run"}\n'


def lines(*rows) -> bytes:
    return b"".join((r if isinstance(r, bytes) else json.dumps(r).encode()) + b"\n" for r in rows)


def frame(t=0.0, hands=None):
    return {"t": t, "hands": [HAND] if hands is None else hands}


def analyze(path: Path, out: Path | None = None) -> tuple[int, str]:
    """`python -m feedback analyze` in this process: (exit code, stderr). Any exception other
    than SystemExit escapes, and fails the test: that would be a traceback for a user."""
    from coaching.cli import main

    err = io.StringIO()
    argv = ["analyze", str(path)] + (["--out", str(out)] if out else [])
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            code = main(argv)
        except SystemExit as e:
            code = e.code
    return code, err.getvalue()


@pytest.fixture(autouse=True)
def _no_saved_calibration(monkeypatch, tmp_path_factory):
    monkeypatch.setenv("MASSAGE_COACH_HOME", str(tmp_path_factory.mktemp("home")))


HOSTILE = {
    "deep nesting": lines(HEADER, b"[" * 200_000 + b"]" * 200_000),
    "deep nesting in a hand": lines(HEADER, b'{"t": 0, "hands": [' + b"[" * 50_000 + b"]" * 50_000 + b"]}"),
    "integer beyond 1e308": lines(HEADER, b'{"t": 1' + b"0" * 400 + b', "hands": []}'),
    "landmark beyond 1e308": lines(HEADER, json.dumps(frame()).replace("0.0]", "1" + "0" * 400 + "]", 1).encode()),
    "huge width": lines({**HEADER, "width": 10 ** 40}),
    "width 1e9": lines({**HEADER, "width": 10 ** 9}),
    "fps 1e300": lines({**HEADER, "fps": 1e300}),
    "NaN": lines(HEADER, b'{"t": NaN, "hands": []}'),
    "Infinity landmark": lines(HEADER, json.dumps(frame()).replace("0.0]", "Infinity]", 1).encode()),
    "t a day and more": lines(HEADER, frame(0.0), frame(1e300)),
    "t negative": lines(HEADER, frame(-5.0)),
    "t out of order": lines(HEADER, frame(2.0), frame(1.0)),
    "100 hands": lines(HEADER, frame(0.0, [HAND] * 100)),
    "20 landmarks": lines(HEADER, frame(0.0, [{**HAND, "landmarks": LM[:20]}])),
    "landmark of 2": lines(HEADER, frame(0.0, [{**HAND, "landmarks": [p[:2] for p in LM]}])),
    "landmark a string": lines(HEADER, frame(0.0, [{**HAND, "landmarks": [["a", 0, 0]] * 21}])),
    "landmark far off": lines(HEADER, frame(0.0, [{**HAND, "landmarks": [[1e200, 0, 0]] * 21}])),
    "hands a dict": lines(HEADER, {"t": 0, "hands": {"a": 1}}),
    "t a string": lines(HEADER, {"t": "0", "hands": []}),
    "t true": lines(HEADER, {"t": True, "hands": []}),
    "score 2": lines(HEADER, frame(0.0, [{**HAND, "score": 2}])),
    "handedness a list": lines(HEADER, frame(0.0, [{**HAND, "handedness": ["Left"]}])),
    "header only": lines(HEADER),
    "header a list": lines([HEADER]),
    "header null": lines(None),
    "not UTF-8": lines(HEADER, b"\xff\xfe\x00garbage"),
    "a line beyond the bound": lines(HEADER, b'{"t": 0, "hands": [], "pad": "' + b"x" * (MAX_LINE_BYTES + 10) + b'"}'),
    "one huge line without newline": b"a" * (MAX_LINE_BYTES * 3),
    "binary zeros": b"\x00" * 5000,
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_track_is_one_line_exit_2(tmp_path, name):
    path = tmp_path / "t.jsonl"
    path.write_bytes(HOSTILE[name])
    out = tmp_path / "r.json"
    out.write_bytes(OLD)
    code, err = analyze(path, out)
    assert code == 2, (name, err)
    assert err.count("\n") == 1 and err.startswith("error: "), err
    assert out.read_bytes() == OLD


def test_a_huge_one_line_file_is_refused_without_reading_it_whole(tmp_path):
    path = tmp_path / "big.jsonl"
    with path.open("wb") as f:  # 64 MB of one line: read whole it would need some 128 MB more
        f.truncate(64 << 20)
    with pytest.raises(TrackFormatError, match="longer than"):
        read_track(path)


def test_unreadable_track_is_one_line(tmp_path):
    path = tmp_path / "t.jsonl"
    path.write_bytes(lines(HEADER, frame()))
    fifo = tmp_path / "fifo.jsonl"
    os.mkfifo(fifo)
    for p, needle in ((tmp_path / "missing.jsonl", "no such file"), (tmp_path, "folder"),
                      (fifo, "not a regular file")):
        code, err = analyze(p)
        assert code == 2 and needle in err and err.count("\n") == 1, err
    if os.geteuid() != 0:  # root reads anything
        path.chmod(0)
        code, err = analyze(path)
        assert code == 2 and "cannot read" in err


def test_zero_hands_and_repeated_times_are_valid(tmp_path):
    path = tmp_path / "t.jsonl"
    path.write_bytes(lines(HEADER, frame(0.0, []), frame(0.0, []), frame(0.04), frame(0.08, [HAND, HAND])))
    header, frames = read_track(path)
    assert [len(f.hands) for f in frames] == [0, 0, 1, 2]
    code, err = analyze(path)
    assert code == 0, err


def test_stride_beyond_range_is_refused(tmp_path):
    path = tmp_path / "t.jsonl"
    path.write_bytes(lines(HEADER, frame()))
    from coaching.cli import main

    for stride in ("100000", "0", "-1", "x", "1e3"):
        err = io.StringIO()
        with contextlib.redirect_stderr(err), pytest.raises(SystemExit) as e:
            main(["analyze", str(path), "--stride", stride])
        assert e.value.code == 2 and "--stride" in err.getvalue() and err.getvalue().count("\n") == 1


# ------------------------------------------------------------------ property-based fuzz

numbers = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-10 ** 400, 10 ** 400),
                    st.floats(-2, 2), st.booleans(), st.none(), st.text(max_size=5))
json_values = st.recursive(st.one_of(numbers, st.text(max_size=10)),
                           lambda kids: st.one_of(st.lists(kids, max_size=4),
                                                  st.dictionaries(st.text(max_size=8), kids, max_size=4)),
                           max_leaves=20)
landmark = st.one_of(st.lists(st.floats(-1.5, 2.5), min_size=3, max_size=3),
                     st.lists(numbers, min_size=0, max_size=4), json_values)
hand = st.one_of(
    st.builds(lambda lm, s, h: {"handedness": h, "score": s, "landmarks": lm},
              st.one_of(st.lists(st.lists(st.floats(-1.5, 2.5), min_size=3, max_size=3), min_size=21, max_size=21),
                        st.lists(landmark, min_size=0, max_size=25)),
              st.one_of(st.floats(0, 1), numbers), st.sampled_from(["Left", "Right", "left", "", None])),
    json_values)
frame_obj = st.one_of(
    st.builds(lambda t, hands: {"t": t, "hands": hands}, st.one_of(st.floats(0, 100), numbers),
              st.one_of(st.lists(hand, max_size=3), st.just([HAND] * 100), json_values)),
    json_values)


def _encode(v) -> bytes:
    try:
        return json.dumps(v).encode()  # NaN and Infinity come out as the bare words json allows
    except (ValueError, OverflowError):
        return b"null"


raw_line = st.one_of(frame_obj.map(_encode), st.binary(max_size=200), st.text(max_size=200).map(str.encode))
header_obj = st.one_of(
    st.just(HEADER),
    st.builds(lambda k, v: {**HEADER, k: v}, st.sampled_from(["width", "height", "fps", "version", "spine", "format"]),
              json_values),
    json_values)
track_bytes = st.builds(lambda h, rows: b"\n".join([_encode(h)] + rows) + b"\n", header_obj,
                        st.lists(raw_line, max_size=8))

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(data=track_bytes)
def test_fuzz_reader_is_valid_or_a_one_line_track_error(data):
    try:
        header, frames = read_track(io.BytesIO(data))
    except TrackFormatError as e:
        assert "\n" not in str(e) and len(str(e)) < 300
        return
    assert 0 < header.width <= 16384 and 0 < header.fps <= 1000
    ts = [f.t for f in frames]
    assert ts == sorted(ts) and all(0 <= t <= 86400 for t in ts)
    assert all(len(f.hands) <= 4 and all(np.isfinite(h.landmarks).all() for h in f.hands) for f in frames)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=track_bytes)
def test_fuzz_command_line_exit_0_or_2_and_out_never_lost(data):
    folder = Path(tempfile.mkdtemp(prefix="fuzz-"))
    try:
        path, out = folder / "t.jsonl", folder / "r.json"
        path.write_bytes(data)
        out.write_bytes(OLD)
        code, err = analyze(path, out)
        assert code in (0, 2), err
        if code == 2:
            assert err.startswith("error: ") and err.count("\n") == 1, err
            assert out.read_bytes() == OLD
        else:
            assert json.loads(out.read_text())["summary"]["duration_s"] >= 0
        assert sorted(p.name for p in folder.iterdir()) == ["r.json", "t.jsonl"]  # no temporary file left
    finally:
        shutil.rmtree(folder)
