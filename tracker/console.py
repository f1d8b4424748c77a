"""What the command lines (and the app's video checks) share.

Importing this module, before OpenCV loads, keeps FFmpeg and OpenCV from printing their own
lines for a bad file ("moov atom not found"): that would break the one-line error promise,
and our SourceError / InputError say it. It loads nothing heavy.
"""
from __future__ import annotations

import argparse
import os
from typing import NoReturn

os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")
os.environ.setdefault("OPENCV_LOG_LEVEL", "SILENT")


class OneLineParser(argparse.ArgumentParser):
    """argparse with a one-line error and exit code 2 (argparse also prints the usage block)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")
