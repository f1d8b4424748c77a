"""Synthetic massage sessions: the guide's techniques as hand kinematics on a back, seen by a
virtual camera, with exact ground truth. Used to measure the analysis (simulated tracks) and
to render the sample videos that run through real MediaPipe."""
