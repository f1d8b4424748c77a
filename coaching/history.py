"""Practice history, kept on this computer only when the user asks ("Keep this session in my
history"), and the guide page's ticks.

One JSON file per store in the user's data folder: $MASSAGE_COACH_HOME when set (tests), else
$XDG_DATA_HOME/massage-coach, i.e. ~/.local/share/massage-coach. Written atomically (a temporary
file in the same folder, then os.replace), so a crash never leaves half a file. A session is a
few numbers (no video, no landmarks): date, minutes per technique, spine alerts per minute,
wrong-way share, coverage and flow.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from pathlib import Path

from tracker.filestore import write_text

from feedback import guide
from feedback.summary import Summary

ENV_HOME = "MASSAGE_COACH_HOME"
HISTORY_FILE = "history.json"
TICKS_FILE = "guide-ticks.json"
VERSION = 1


class HistoryError(ValueError):
    """The history file exists but cannot be read (damaged or written by something else)."""


def data_dir() -> Path:
    home = os.environ.get(ENV_HOME)
    if home:
        return Path(home).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base).expanduser() / "massage-coach"


def history_path() -> Path:
    return data_dir() / HISTORY_FILE


def _write_json(path: Path, data) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text(path, json.dumps(data, indent=1))  # atomic: a crash leaves the old file whole


# -- one session as a few numbers ------------------------------------------------------------------

def session_id(summary: Summary, name: str) -> str:
    """The same analysis of the same video gets the same id (so keeping it twice keeps it once).
    Hashed from the summary's JSON, so ids kept before the summary was typed still match."""
    key = json.dumps({"name": name, "summary": summary.to_dict()}, sort_keys=True, default=str)
    return hashlib.sha1(key.encode()).hexdigest()[:12]


def session_record(report, name: str, coverage=None, flow_measures=(), when: dt.datetime | None = None) -> dict:
    s = report.summary
    minutes = max(s.duration_s / 60.0, 1e-9)
    pressing = s.effleurage.strokes
    cov_share = None
    if coverage is not None:
        shares = [coverage.share_asked(n) for n in guide.TECHNIQUES if n in coverage.seconds]
        shares = [x for x in shares if x is not None]
        cov_share = round(sum(shares) / len(shares), 3) if shares else None
    flow = {m.name: (None if m.value is None else round(float(m.value), 3)) for m in flow_measures}
    return {
        "id": session_id(s, name),
        "when": (when or dt.datetime.now()).isoformat(timespec="minutes"),
        "name": name,
        "duration_min": round(minutes, 2),
        "minutes": {n: round(s.seconds(n) / 60.0, 2) for n in guide.TECHNIQUES},
        "spine_alerts": s.spine.events,
        "spine_alerts_per_min": round(s.spine.events / minutes, 2),
        "wrong_way_share": round(s.effleurage.down_wrong_way / pressing, 3) if pressing else None,
        "coverage": cov_share,
        "smoothness": flow.get("Smoothness of glides"),
        "contact_breaks": flow.get("Contact"),
        "even_glides_cv": flow.get("Even glides"),
        "hands_seen": s.hands_seen_fraction,
    }


# -- the store ---------------------------------------------------------------------------------------

def load() -> list[dict]:
    """Sessions kept, oldest first. [] when there is no history; HistoryError when the file is
    damaged (the page offers to clear it; it is never silently replaced)."""
    path = history_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    except OSError as e:
        raise HistoryError(f"the history file cannot be read ({e.strerror or e})") from None
    try:
        data = json.loads(text)
    except ValueError:
        raise HistoryError("the history file is damaged (not valid JSON)") from None
    if not isinstance(data, dict) or not isinstance(data.get("sessions"), list):
        raise HistoryError("the history file is not one this app wrote")
    sessions = data["sessions"]
    if not all(isinstance(x, dict) and isinstance(x.get("id"), str) and isinstance(x.get("when"), str)
               for x in sessions):
        raise HistoryError("the history file has entries this app cannot read")
    return sorted(sessions, key=lambda x: x["when"])


def _save(sessions: list[dict]) -> None:
    _write_json(history_path(), {"version": VERSION, "sessions": sessions})


def contains(session_id_: str) -> bool:
    try:
        return any(x["id"] == session_id_ for x in load())
    except HistoryError:
        return False


def keep(record: dict) -> None:
    """Add a session (replacing one with the same id)."""
    sessions = [x for x in load() if x["id"] != record["id"]]
    _save(sessions + [record])


def delete(session_id_: str) -> bool:
    sessions = load()
    left = [x for x in sessions if x["id"] != session_id_]
    if len(left) == len(sessions):
        return False
    _save(left)
    return True


def clear() -> bool:
    """Delete the whole history file. True if there was one."""
    try:
        history_path().unlink()
        return True
    except FileNotFoundError:
        return False


# -- the guide page's ticks ----------------------------------------------------------------------------

def load_ticks() -> dict[str, bool]:
    """The guide checklist's ticks; {} when none are saved or the file is unreadable (a checklist
    starting empty is harmless; the user ticks again)."""
    try:
        data = json.loads((data_dir() / TICKS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {str(k): bool(v) for k, v in data.items() if isinstance(v, bool)}


def save_ticks(ticks: dict[str, bool]) -> None:
    _write_json(data_dir() / TICKS_FILE, {str(k): bool(v) for k, v in ticks.items()})
