"""Sound in the browser: the spine alert as a short tone (Web Audio oscillator) and cues spoken
(speechSynthesis), from a tiny HTML component the live page refreshes.

Each sound has a sequence number (feedback.sounds.SoundGate's counts). The component plays a
number it has not played yet, once: the last numbers played are kept in the tab's
sessionStorage, so a re-rendered component never replays an old sound. It exposes what it did
as data attributes on #massage-coach-sound (data-tones-played, data-spoken-played,
data-last-spoken, data-audio-state) for the browser tests.
"""
from __future__ import annotations

import html
import json

import streamlit as st

TONE_KEY = "live_sound_tone"
SPEECH_KEY = "live_sound_speech"

_TEMPLATE = """<div id="massage-coach-sound" data-tones-played="0" data-spoken-played="0" data-last-spoken=""
 data-audio-state="" style="font:12px sans-serif;color:#888">__LABEL__</div>
<script>
(function () {
  const want = __WANT__;
  const el = document.getElementById("massage-coach-sound");
  let store;
  try { store = window.parent.sessionStorage; } catch (e) { store = window.sessionStorage; }
  const get = (k) => parseInt(store.getItem("massage-coach-" + k) || "0", 10);
  const put = (k, v) => store.setItem("massage-coach-" + k, String(v));
  // A new stream starts its counts at 0 again: follow it down.
  if (want.tones < get("tone-seq")) put("tone-seq", want.tones);
  if (want.spoken < get("speech-seq")) put("speech-seq", want.spoken);
  el.dataset.tonesPlayed = get("tones-played");
  el.dataset.spokenPlayed = get("spoken-played");
  if (want.tones > get("tone-seq")) {
    put("tone-seq", want.tones);
    if (want.toneOn) {
      try {
        const Ctx = window.AudioContext || window.webkitAudioContext;
        const ctx = new Ctx();
        const osc = ctx.createOscillator();
        const gain = ctx.createGain();
        osc.type = "sine";
        osc.frequency.value = 880;
        gain.gain.setValueAtTime(0.0001, ctx.currentTime);
        gain.gain.exponentialRampToValueAtTime(0.3, ctx.currentTime + 0.02);
        gain.gain.exponentialRampToValueAtTime(0.0001, ctx.currentTime + 0.35);
        osc.connect(gain).connect(ctx.destination);
        osc.start();
        osc.stop(ctx.currentTime + 0.4);
        el.dataset.audioState = ctx.state;
        if (ctx.state === "running") {
          put("tones-played", get("tones-played") + 1);
          el.dataset.tonesPlayed = get("tones-played");
        }
        osc.onended = () => ctx.close();
      } catch (e) { el.dataset.audioState = "error: " + e; }
    }
  }
  if (want.spoken > get("speech-seq")) {
    put("speech-seq", want.spoken);
    if (want.speechOn && want.text && window.speechSynthesis) {
      const u = new SpeechSynthesisUtterance(want.text);
      u.rate = 1.0;
      window.speechSynthesis.cancel();
      window.speechSynthesis.speak(u);
      put("spoken-played", get("spoken-played") + 1);
      el.dataset.spokenPlayed = get("spoken-played");
      el.dataset.lastSpoken = want.text;
    }
  }
})();
</script>"""


def toggles() -> tuple[bool, bool]:
    """The two switches: the alert tone (on by default) and spoken cues."""
    c = st.columns(2)
    tone = c[0].toggle("Alert sound", value=True, key=TONE_KEY,
                       help="A short tone when a hand is over the spine, so you hear it while you look at "
                            "the back.")
    speech = c[1].toggle("Spoken cues", value=True, key=SPEECH_KEY,
                         help="The coach's cues read aloud by the browser, at most every few seconds.")
    return tone, speech


def player(tones: int, spoken: int, text: str, tone_on: bool, speech_on: bool) -> None:
    """Render the player; it plays the sounds numbered above those it already played."""
    want = {"tones": int(tones), "spoken": int(spoken), "text": str(text or ""), "toneOn": bool(tone_on),
            "speechOn": bool(speech_on)}
    label = "Sound on" if tone_on or speech_on else "Sound off"
    doc = _TEMPLATE.replace("__WANT__", json.dumps(want).replace("</", "<\\/")).replace("__LABEL__", html.escape(label))
    st.iframe(doc, height=20)  # an HTML string: embedded as the iframe's document
