"""The `massage-coach` command (views/launch.py): routes to the command lines, finds the app."""
from views import launch


def test_routes_and_refuses_unknown_commands(capsys, tmp_path):
    assert launch.main(["--help"]) == 0
    assert "massage-coach analyze VIDEO" in capsys.readouterr().out
    assert launch.main(["bogus"]) == 2
    assert "unknown command 'bogus'" in capsys.readouterr().err
    # analyze is `python -m feedback analyze`: its one-line error for a missing file, exit 2.
    assert launch.main(["analyze", str(tmp_path / "missing.mp4")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and len(err.strip().splitlines()) == 1


def test_app_script_is_the_streamlit_app():
    path = launch.app_script()
    assert path.name == "app.py" and "st.navigation" in path.read_text()
