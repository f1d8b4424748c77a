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


MAX_STRIDE = 1000  # every 1000th frame is one frame per 33 s at 30 fps: beyond it nothing is measured


def stride_arg(text: str) -> int:
    """--stride: an integer from 1 to MAX_STRIDE."""
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer from 1 to {MAX_STRIDE}, got {text!r:.40}") from None
    if not 1 <= n <= MAX_STRIDE:
        raise argparse.ArgumentTypeError(f"must be an integer from 1 to {MAX_STRIDE}, got {n}")
    return n


def truncated(frames: int, expected: int) -> bool:
    """The container announced clearly more frames than could be decoded (the app's rule too)."""
    return expected > 0 and frames < 0.9 * expected - 2


def one_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__
