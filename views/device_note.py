"""A plain note about the camera before START, checked by the browser itself.

streamlit-webrtc shows the browser's own error inside its iframe ("NotFoundError: Requested
device not found"), which a learner cannot act on. This tiny component asks the browser
(navigator.mediaDevices.enumerateDevices) whether any camera exists and says so in plain words.
"""
from __future__ import annotations

import streamlit as st

_DOC = """<div id="camera-note" style="font:14px 'Source Sans Pro',sans-serif;line-height:1.4;color:#555"></div>
<script>
(function () {
  const el = document.getElementById("camera-note");
  const say = (text, warn) => {
    el.textContent = text;
    el.dataset.state = warn ? "problem" : "ok";
    if (warn) { el.style.color = "#8a5300"; el.style.background = "#fff6dd"; el.style.padding = "6px 10px";
                el.style.borderRadius = "6px"; }
  };
  const md = navigator.mediaDevices;
  if (!md || !md.enumerateDevices) {
    say("This address cannot use a camera: open the app at http://localhost.", true);
    return;
  }
  md.enumerateDevices().then((devices) => {
    if (devices.some((d) => d.kind === "videoinput")) {
      say("Camera found. Press START and allow it when the browser asks.", false);
    } else {
      say("No camera found on this computer: connect a webcam, then reload this page.", true);
    }
  }).catch(() => say("The browser would not list its cameras: allow the camera, then reload.", true));
})();
</script>"""


def camera_note() -> None:
    st.iframe(_DOC, height=64)  # an HTML string: embedded as the iframe's document
