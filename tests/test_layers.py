"""The layers the data flows through, read from the code's own imports: the analysis core is numpy
only (no OpenCV, MediaPipe, Streamlit, no reading or writing files); Streamlit only in views/; studio/ and bench/ never
import views/; the packages import one another without a cycle (the `python -m feedback` and
`python -m tracker` entry points, thin shims over coaching's command line, stand apart)."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("tracker", "feedback", "drawing", "coaching", "studio", "bench", "views")
SHIMS = {"feedback/__main__.py", "tracker/__main__.py"}


def _modules(package: str) -> list[Path]:
    return sorted((ROOT / package).glob("*.py"))


def _imports(path: Path) -> set[str]:
    """Top-level names of every module the file imports (relative imports: its own package)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            names.add(path.parent.name if node.level else (node.module or "").split(".")[0])
    return names


def _calls_files(path: Path) -> list[str]:
    """Places where the file opens, reads or writes a file itself."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Call):
            f = node.func
            name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""
            if name in {"open", "read_text", "write_text", "read_bytes", "write_bytes", "load", "dump"}:
                found.append(f"{path.name}:{node.lineno} {name}()")
    return found


@pytest.mark.parametrize("path", _modules("feedback"), ids=lambda p: p.name)
def test_the_analysis_core_is_plain_numpy(path):
    if f"feedback/{path.name}" in SHIMS:
        pytest.skip("entry-point shim")
    edge = {"cv2", "mediapipe", "streamlit", "streamlit_webrtc", "av", "PIL",
            "coaching", "drawing", "views", "studio", "bench"}
    assert not (_imports(path) & edge), f"{path.name} imports {sorted(_imports(path) & edge)}"
    assert not _calls_files(path)


def test_streamlit_only_in_views_and_views_only_above():
    for package in PACKAGES:
        for path in _modules(package):
            names = _imports(path)
            if package != "views":
                assert not names & {"streamlit", "streamlit_webrtc"}, f"{package}/{path.name}"
                assert "views" not in names, f"{package}/{path.name} imports views"


def test_the_packages_import_one_another_without_a_cycle():
    graph = {p: set() for p in PACKAGES}
    for package in PACKAGES:
        for path in _modules(package):
            if f"{package}/{path.name}" not in SHIMS:
                graph[package] |= (_imports(path) & set(PACKAGES)) - {package}
    order, seen = [], set()

    def visit(node, stack):
        assert node not in stack, f"import cycle: {' -> '.join([*stack, node])}"
        if node not in seen:
            for nxt in sorted(graph[node]):
                visit(nxt, [*stack, node])
            seen.add(node)
            order.append(node)

    for package in PACKAGES:
        visit(package, [])
    # The flow: the tracker knows nothing of the analysis, the analysis nothing of the session.
    assert not graph["tracker"] & {"feedback", "coaching", "drawing"}
    assert not graph["feedback"] & {"coaching", "drawing"}


def test_importing_the_core_loads_no_opencv_or_mediapipe():
    mods = ", ".join(f"feedback.{p.stem}" for p in _modules("feedback")
                     if p.stem not in {"__init__", "__main__"})
    code = f"import sys, {mods}; print('cv2' in sys.modules, 'mediapipe' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.stdout.split() == ["False", "False"], out.stderr
