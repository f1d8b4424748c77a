"""The automatic spine line's confidence model: logistic weights fitted by
`python -m bench.spine_views fit` (which rewrites this file) on rendered views; see the README,
"Finding the spine line". Kept as code so that the analysis core reads no files."""

WEIGHTS = {
    "bias": -3.333400694116671,
    "hands": -0.13551721579806783,
    "straightness": 2.9309956691836088,
    "pairs": 1.0365048518719715,
    "head_votes": 0.98037596147752,
    "head_score": 1.7018538720004974,
    "pose": 1.0007382755981702,
    "pose_agree": 0.9479455237985747,
    "pose_axis_cos": -0.49705098502633827,
    "pose_head": -0.06787712691758611,
    "outline_axis_cos": 0.46049014784803627,
    "disagree": -0.03621762547898319,
    "head_conflict": -0.37648315776349944,
    "hands_axis_off": -0.07189087861374534,
    "pose_angle_off": -0.3759421132478803,
    "fingers": 1.548414377789559,
    "hands_head_conflict": 0.7757758334833826,
    "coverage": -1.5555944987870296,
    "pose_neck_agree": 0.6864882577582828,
    "ends": -1.09028304155089,
    "ends_agree": 1.4888152529591454,
    "mids_agree": -0.468107591816882,
}
