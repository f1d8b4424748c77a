"""Practice history on this computer (opt-in), the Progress page, and the guide's remembered ticks."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from coaching import history

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def data_home(tmp_path, monkeypatch):
    monkeypatch.setenv(history.ENV_HOME, str(tmp_path / "home"))
    return tmp_path / "home"


def _report(n_up=4, n_down=1, events=1, seconds=120.0):
    from feedback.report import summarise
    from feedback.safety import SpineEvent
    from feedback.spine import SpineLine
    from feedback.strokes import Stroke

    t = np.arange(0, seconds, 1 / 15)
    labels = np.where(t < seconds / 2, "effleurage", "petrissage").astype(object)
    strokes = [Stroke("effleurage", 1 + 2 * i, 2.5 + 2 * i, direction="up", length=0.8) for i in range(n_up)]
    strokes += [Stroke("effleurage", 30 + 2 * i, 31 + 2 * i, direction="down", length=0.8) for i in range(n_down)]
    ev = [SpineEvent(70.0 + 5 * i, 71.0 + 5 * i, along=0.5) for i in range(events)]
    return summarise(t, labels, np.zeros(len(t), bool), np.full(len(t), 2), strokes, ev,
                     SpineLine((0.8, 0.5), (0.2, 0.5), 640, 480))


def test_nothing_is_written_until_a_session_is_kept(data_home):
    assert history.load() == [] and not data_home.exists()
    rec = history.session_record(_report(), "upload-a")
    assert rec["spine_alerts_per_min"] == pytest.approx(0.5) and rec["wrong_way_share"] == pytest.approx(0.2)
    assert rec["minutes"]["effleurage"] == pytest.approx(1.0, abs=0.02)
    history.keep(rec)
    history.keep(rec)  # the same session twice is kept once
    assert [x["id"] for x in history.load()] == [rec["id"]]
    assert sorted(p.name for p in data_home.iterdir()) == ["history.json"]  # no temporary file left
    rec2 = history.session_record(_report(events=0), "upload-b")
    history.keep(rec2)
    assert history.delete(rec["id"]) and [x["id"] for x in history.load()] == [rec2["id"]]
    assert not history.delete("nope")


def test_default_folder_is_the_users_data_dir(monkeypatch, tmp_path):
    monkeypatch.delenv(history.ENV_HOME)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert history.history_path() == tmp_path / "xdg" / "massage-coach" / "history.json"


@pytest.mark.parametrize("content", ["{not json", "[]", '{"sessions": [1, 2]}', '{"sessions": "x"}'])
def test_a_damaged_history_is_a_plain_error_with_a_way_out(data_home, content):
    data_home.mkdir(parents=True)
    history.history_path().write_text(content)
    with pytest.raises(history.HistoryError):
        history.load()

    def script():
        from views.progress import page

        page()

    at = AppTest.from_function(script).run()
    assert not at.exception
    assert len(at.error) == 1 and "cannot be read" in at.error[0].value
    at.button(key="progress_clear_broken").click().run()
    assert not at.exception and not history.history_path().exists()
    assert any("No sessions kept yet" in i.value for i in at.info)


def _report_script():
    import streamlit as st

    from views.widgets import show_report

    show_report(st.session_state["report"], "t", file_stem="sample-x")


def test_keep_box_adds_and_removes_the_session():
    at = AppTest.from_function(_report_script)
    at.session_state["report"] = _report()
    at.run()
    assert not at.exception
    box = next(cb for cb in at.checkbox if cb.label == "Keep this session in my history")
    assert box.value is False and history.load() == []
    box.check().run()
    assert [x["name"] for x in history.load()] == ["sample-x"]
    next(cb for cb in at.checkbox if cb.label == "Keep this session in my history").uncheck().run()
    assert history.load() == []


def test_progress_page_lists_sessions_and_deletes_one():
    for i, ev in enumerate((3, 1, 0)):
        rec = history.session_record(_report(events=ev), f"s{i}")
        rec["when"] = f"2026-11-2{i}T20:00"
        history.keep(rec)

    def script():
        from views.progress import page

        page()

    at = AppTest.from_function(script).run()
    assert not at.exception
    table = at.dataframe[0].value
    assert list(table["Session"]) == ["s0", "s1", "s2"]
    assert list(table["Spine alerts / min"]) == pytest.approx([1.5, 0.5, 0.0])
    at.selectbox(key="progress_pick").select(history.load()[1]["id"]).run()
    at.button(key="progress_delete").click().run()
    assert not at.exception
    assert [x["name"] for x in history.load()] == ["s0", "s2"]


def test_guide_ticks_are_remembered_across_sessions(data_home):
    from views.widgets import GUIDE_DONE_KEY

    def script():
        from views.guide_page import page

        page()

    at = AppTest.from_function(script).run()
    for cb in at.checkbox:
        cb.check()
    at.run()
    assert at.session_state[GUIDE_DONE_KEY] is True
    saved = json.loads((data_home / history.TICKS_FILE).read_text())
    assert saved and all(saved.values())
    fresh = AppTest.from_function(script).run()  # a new browser session (a reload)
    assert all(cb.value for cb in fresh.checkbox)
    assert fresh.session_state[GUIDE_DONE_KEY] is True
