"""Render the bundled sample sessions: python -m studio render [--out sample_videos] [--only NAME]

Each sample is a seeded simulation (studio.session) drawn by studio.render into an H.264 mp4,
with `<name>.truth.json` beside it: per-frame technique and over-spine truth, the spine line,
the truth strokes, and how it was made.
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .session import Noise, Rig, Segment, random_camera, simulate


@dataclass(frozen=True)
class SampleSpec:
    name: str
    seed: int
    script: tuple
    about: str
    azimuth_deg: float = 0.0      # camera around the table: 0 = beside it, 90 = at the head
    distance: tuple = (58.0, 68.0)
    elevation: tuple = (48.0, 62.0)
    brightness: float = 1.0       # of a normal exposure; below 1 with the noise and blur of dim light
    fps: int = 30



def spine_drifts(sim, spine_cm: float) -> list[dict]:
    """Each run of frames with a palm over the spine: its start, end and the regions of the back
    (feedback.safety.region) the palm nearest the spine passed over."""
    from feedback.safety import region
    from studio.hand_model import PALM_IDS

    over = np.asarray(sim.over_spine, bool)
    d = np.diff(np.r_[0, over.astype(np.int8), 0])
    palm = sim.hands_back[:, :, list(PALM_IDS), :].mean(axis=2)  # (hand, frame, xyz), cm in the back's frame
    out = []
    for a, b in zip(np.flatnonzero(d == 1), np.flatnonzero(d == -1)):
        idx = np.arange(a, b)
        hand = int(np.argmin(np.abs(palm[:, idx, 0]).mean(axis=1)))
        regions = sorted({region(float(v)) for v in palm[hand, idx, 1] / spine_cm})
        out.append({"start": round(float(sim.t[a]), 4), "end": round(float(sim.t[b - 1]), 4), "regions": regions})
    return out

def _seg(kind, dur, drifts=()):
    return Segment(kind, dur, list(drifts))


SAMPLES = (
    SampleSpec("effleurage_up", 11, (_seg("effleurage", 20),),
               "Correct effleurage: long glides up beside the spine, light returns down the outside."),
    SampleSpec("effleurage_wrong_way", 12, (_seg("wrong_way", 20),),
               "Wrong-way effleurage: the pressing glide runs down toward the hips.", azimuth_deg=-20),
    SampleSpec("petrissage", 13, (_seg("petrissage", 16),),
               "Petrissage: both hands knead in small circles, travelling over the back.", azimuth_deg=15),
    SampleSpec("tapotement", 14, (_seg("tapotement", 14),),
               "Tapotement: alternating hands tap quickly with relaxed wrists.", azimuth_deg=-10),
    SampleSpec("spine_drift", 15, (_seg("effleurage", 9), _seg("petrissage", 9, [(3.0, 1.5)])),
               "Effleurage, then petrissage during which one hand drifts onto the spine for about 1.5 s.",
               azimuth_deg=20),
    SampleSpec("mini_session", 16, (_seg("idle", 3), _seg("effleurage", 18), _seg("petrissage", 15, [(6.0, 1.2)]),
                                    _seg("tapotement", 12), _seg("effleurage", 10)),
               "A one-minute session in the guide's order: rest, effleurage, petrissage (with a spine "
               "drift), tapotement, closing effleurage.", azimuth_deg=5),
    SampleSpec("dim_distant", 17, (_seg("effleurage", 7), _seg("tapotement", 5)),
               "A real-room set-up: dim light, the laptop about 1.5 m away, a 15 fps webcam. Effleurage, then "
               "tapotement; the camera check says what to change.", azimuth_deg=10, distance=(145.0, 155.0),
               elevation=(40.0, 50.0), brightness=0.35, fps=15),
)


def render_sample(spec: SampleSpec, out_dir: Path, fps: int | None = None, width: int = 640,
                  height: int = 480) -> dict:
    if spec.brightness < 1.0:
        return _render_dim_sample(spec, out_dir, width, height)
    import av

    from .render import compose, exposure_gain, random_look
    from .scene import render_background

    fps = fps or spec.fps
    rng = np.random.default_rng(spec.seed)
    body, look, hand_look = random_look(rng)
    cam = random_camera(rng, body.spine_length_cm, width, height, spec.azimuth_deg, spec.distance, spec.elevation)
    rig = Rig(cam, body.spine_length_cm, (hand_look.size, hand_look.size), float(fps))
    noise = Noise(jitter=0, wobble=0, miss_rate=0, gap_rate=0, timestamp_jitter=0, drop_frames=0, handedness_swap=0)
    sim = simulate(list(spec.script), rig, rng, noise)
    background = render_background(cam, body, look, seed=spec.seed)
    gain = exposure_gain(background)
    path = out_dir / f"{spec.name}.mp4"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"crf": "26", "preset": "slow"}
        for i in range(len(sim.t)):
            hands = [(sim.hands_back[h, i], h == 0, hand_look) for h in (0, 1) if sim.visible[h, i]]
            frame = compose(background, hands, cam, rng, noise_sigma=1.0, exposure=gain)
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="bgr24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    truth = {
        "name": spec.name, "about": spec.about, "seed": spec.seed, "fps": fps, "width": width, "height": height,
        "spine": {"head": list(sim.spine.head), "sacrum": list(sim.spine.sacrum)},
        "script": [{"technique": s.technique, "duration": s.duration, "drifts": s.drifts} for s in spec.script],
        "frames": [{"t": round(float(t), 4), "label": str(lab), "over_spine": bool(o)}
                   for t, lab, o in zip(sim.t, sim.labels, sim.over_spine)],
        "strokes": sorted(sim.strokes, key=lambda s: s["start"]),
        "spine_drifts": spine_drifts(sim, rig.spine_cm),
    }
    (out_dir / f"{spec.name}.truth.json").write_text(json.dumps(truth))
    # The spine calibration a user would have made for this camera set-up (see pipeline.sidecar_spine).
    (out_dir / f"{spec.name}.spine.json").write_text(json.dumps(truth["spine"]) + "\n")
    return {"name": spec.name, "frames": len(sim.t), "bytes": path.stat().st_size}


def _render_dim_sample(spec: SampleSpec, out_dir: Path, width: int, height: int) -> dict:
    """A sample in real-room conditions, rendered as studio.conditions renders its clips (sensor
    noise growing as light falls, motion blur from a long exposure at low frame rates)."""
    import av

    from .conditions import Condition, render_clip

    cond = Condition(spec.name, spec.brightness, spec.fps, spec.distance, spec.azimuth_deg, spec.elevation)
    clip = render_clip(cond, spec.seed, list(spec.script), width, height)
    path = out_dir / f"{spec.name}.mp4"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=spec.fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"crf": "28", "preset": "slow"}
        for frame in clip.frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="bgr24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    spine = {"head": list(clip.spine[0]), "sacrum": list(clip.spine[1])}
    truth = {
        "name": spec.name, "about": spec.about, "seed": spec.seed, "fps": spec.fps, "width": width, "height": height,
        "spine": spine, "brightness": spec.brightness, "distance_cm": list(spec.distance),
        "script": [{"technique": s.technique, "duration": s.duration, "drifts": s.drifts} for s in spec.script],
        "frames": [{"t": round(float(t), 4), "label": str(lab), "over_spine": bool(o)}
                   for t, lab, o in zip(clip.t, clip.labels, clip.over_spine)],
        "strokes": [],
    }
    (out_dir / f"{spec.name}.truth.json").write_text(json.dumps(truth))
    (out_dir / f"{spec.name}.spine.json").write_text(json.dumps(spine) + "\n")
    return {"name": spec.name, "frames": len(clip.t), "bytes": path.stat().st_size}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m studio")
    sub = ap.add_subparsers(dest="command", required=True)
    r = sub.add_parser("render", help="render the bundled sample videos")
    r.add_argument("--out", default=str(Path(__file__).resolve().parents[1] / "sample_videos"))
    r.add_argument("--only", action="append", help="render only this sample (repeatable)")
    v = sub.add_parser("spineviews", help="render views with their true spine line (studio.spineviews)")
    v.add_argument("--set", choices=("tune", "heldout", "final", "final2", "final3", "famc", "famd", "fame"), required=True)
    v.add_argument("--count", type=int, default=50)
    v.add_argument("--out", required=True)
    a = ap.parse_args(argv)
    if a.command == "spineviews":
        from .spineviews import make_set

        dirs = make_set(a.set, a.count, Path(a.out))
        print(f"{len(dirs)} {a.set} views in {Path(a.out) / a.set}")
        return 0
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    for spec in SAMPLES:
        if a.only and spec.name not in a.only:
            continue
        info = render_sample(spec, out)
        print(f"{info['name']}: {info['frames']} frames, {info['bytes'] / 1e6:.2f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
