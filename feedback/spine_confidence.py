"""The automatic spine line's confidence model: logistic weights fitted by
`python -m bench.spine_views fit` (which rewrites this file) on rendered views; see the README,
"Finding the spine line". Kept as code so that the analysis core reads no files."""

WEIGHTS = {
    "bias": -1.9401587142788823,
    "hands": -0.9185019602173337,
    "straightness": 2.6695477676987602,
    "pairs": 0.820134602808103,
    "head_votes": 1.1934255471010722,
    "head_score": 1.229310581258563,
    "pose": 0.9468303259918874,
    "pose_agree": 0.18551106599574688,
    "pose_axis_cos": -0.6678028263629264,
    "pose_head": -0.25767078425321466,
    "outline_axis_cos": -0.10781161528147444,
    "disagree": -0.2940752417027655,
    "head_conflict": -1.3314978268890771,
    "hands_axis_off": -0.05638127133607858,
    "pose_angle_off": -0.30367489875395787,
    "fingers": 1.459065586861801,
    "hands_head_conflict": 0.8663165562300315,
    "coverage": -1.4026677754818482,
    "pose_neck_agree": 1.446070344533667,
}
