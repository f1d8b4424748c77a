"""The automatic spine line's confidence model: logistic weights fitted by
`python -m bench.spine_views fit` (which rewrites this file) on rendered views; see the README,
"Finding the spine line". Kept as code so that the analysis core reads no files."""

WEIGHTS = {
    "bias": -3.6468625580996856,
    "hands": 0.19874095564193967,
    "straightness": 2.773235846677319,
    "pairs": 1.0683376814353913,
    "head_votes": 0.9551694945718112,
    "head_score": 1.74715822684371,
    "pose": 0.9853402962602922,
    "pose_agree": 0.8819821313572123,
    "pose_axis_cos": -0.49728375306411415,
    "pose_head": 0.09682672493451112,
    "outline_axis_cos": 0.6875183556252241,
    "disagree": -0.05545494431645774,
    "head_conflict": -0.9371967904287841,
    "hands_axis_off": -0.06403543442427007,
    "pose_angle_off": -0.3858324114720961,
    "fingers": 1.3507032244832133,
    "hands_head_conflict": 0.8121670235182991,
    "coverage": -1.4107481263628199,
    "pose_neck_agree": 0.6087452637473568,
    "ends": -1.2294453647300492,
    "ends_agree": 1.2046945236989737,
    "mids_agree": -0.23347029002470085,
}
