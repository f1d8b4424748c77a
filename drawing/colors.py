"""Colours shared by the video overlay (drawn in BGR) and the app's charts (hex): no OpenCV here,
so a chart does not load the drawing code."""

# One colour per technique, shared with the app's charts (hex) and drawn here (BGR).
TECHNIQUE_COLORS = {
    "effleurage": "#2e86de",
    "petrissage": "#f39c12",
    "tapotement": "#8e44ad",
    "lifting": "#16a085",
    "fanning": "#c0392b",
    "twist": "#d35400",
    "idle": "#95a5a6",
    "other": "#7f8c8d",
    "no_hands": "#34495e",
    "unsure": "#bdc3c7",
}
SEVERITY_COLORS = {"info": "#1f6fb2", "warn": "#c27c0e", "alert": "#d62828"}
