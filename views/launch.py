"""The `massage-coach` command.

    massage-coach [STREAMLIT OPTIONS]      open the app (Streamlit, on this computer only)
    massage-coach analyze VIDEO [...]      the same as `python -m feedback analyze VIDEO [...]`
    massage-coach track VIDEO --out F [...] the same as `python -m tracker track VIDEO --out F [...]`
    massage-coach models [--from-wheel F]  prepare the model cache (`python -m tracker.models`)

Opening the app this way applies the Starlette fix and the Host guard (views/compat.py) before
the server starts, so its very first answers (the browser asks for /favicon.png before the page's
script runs) neither fail nor go to a name other than localhost; `streamlit run app.py` works
too, but applies them only when the page first runs.
"""
from __future__ import annotations

import sys
from pathlib import Path

# The app's privacy and error settings (as in .streamlit/config.toml), given as options too so
# that they hold wherever the command is started from; options the user adds come later and win.
APP_OPTIONS = ("--server.address=localhost", "--server.headless=true", "--browser.gatherUsageStats=false",
               "--client.showErrorDetails=none", "--client.toolbarMode=minimal")


def app_script() -> Path:
    """app.py: beside the packages in a checkout or an editable install, else installed as a module."""
    here = Path(__file__).resolve().parent.parent / "app.py"
    if here.is_file():
        return here
    import importlib.util

    spec = importlib.util.find_spec("app")
    if spec is None or spec.origin is None:
        raise FileNotFoundError("app.py is not installed")
    return Path(spec.origin)


def run_app(options: list[str]) -> int:
    from views import compat

    compat.patch_streamlit_gzip()  # before the server answers anything
    compat.guard_server()  # the Host check and anti-framing headers from the first request on
    from tracker import filestore

    filestore.sweep_once()  # what a killed server left (recordings, uploads) goes before it starts
    from streamlit.web import cli

    try:
        cli.main(["run", str(app_script()), *APP_OPTIONS, *options], prog_name="massage-coach",
                 standalone_mode=True)
    except SystemExit as e:
        return int(e.code or 0) if not isinstance(e.code, str) else 1
    return 0


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else list(argv)
    command = args[0] if args else ""
    if command == "analyze":
        from coaching.cli import main as feedback_main

        return feedback_main(args)
    if command == "track":
        from tracker.__main__ import main as tracker_main

        return tracker_main(args)
    if command == "models":
        from tracker.models import main as models_main

        return models_main(args[1:])
    if command in ("-h", "--help", "help"):
        sys.stdout.write(__doc__.split("\n\n")[1] + "\n")
        return 0
    if command and not command.startswith("-"):
        sys.stderr.write(f"massage-coach: unknown command {command!r} (analyze, track, models, or none for the app)\n")
        return 2
    return run_app(args)


if __name__ == "__main__":
    raise SystemExit(main())
