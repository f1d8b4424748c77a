"""What the learner hears: the spine tone and spoken cues, never faster than one can act on them."""
from __future__ import annotations

from feedback.coach import LOWER_BACK_CUE, NECK_CUE, SPINE_CUE, WRONG_WAY_CUE
from feedback.sounds import SPEECH_ANY_MIN_S, SPEECH_SAME_MIN_S, TONE_MIN_S, SoundGate


def run(gate: SoundGate, frames):
    """frames: (t, cue, over_spine); returns the times a tone and a spoken cue became due."""
    tones, words = [], []
    for t, cue, over in frames:
        before = (gate.tones, gate.spoken)
        gate.update(t, cue, over)
        if gate.tones > before[0]:
            tones.append(round(t, 2))
        if gate.spoken > before[1]:
            words.append((round(t, 2), gate.text))
    return tones, words


def test_a_spine_alert_sounds_at_once_and_repeats_only_while_it_lasts():
    fps = 30
    frames = [(i / fps, SPINE_CUE if 30 <= i < 30 + 7 * fps else None, 30 <= i < 30 + 7 * fps)
              for i in range(12 * fps)]
    tones, words = run(SoundGate(), frames)
    assert tones[0] == 1.0                      # the first frame of the alert
    assert all(b - a >= TONE_MIN_S for a, b in zip(tones, tones[1:]))
    assert 2 <= len(tones) <= 3 and tones[-1] < 8.0
    assert words == []                          # the spine alert is the tone, not words


def test_flickering_alert_never_beeps_faster_than_the_minimum():
    frames = [(i / 30, None, (i // 10) % 2 == 0) for i in range(30 * 10)]  # on/off every 1/3 s
    tones, _ = run(SoundGate(), frames)
    assert len(tones) >= 3
    assert all(b - a >= TONE_MIN_S - 1e-9 for a, b in zip(tones, tones[1:]))


def test_cues_are_spoken_when_they_come_up_and_not_repeated_too_soon():
    seq = [(0.0, WRONG_WAY_CUE), (1.0, None), (2.0, LOWER_BACK_CUE), (4.0, None), (5.0, WRONG_WAY_CUE),
           (6.0, None), (9.5, WRONG_WAY_CUE), (10.0, NECK_CUE)]
    frames = []
    for (t, cue), (t_next, _) in zip(seq, seq[1:] + [(12.0, None)]):
        frames += [(t + k / 30, cue, False) for k in range(int((t_next - t) * 30))]
    _, words = run(SoundGate(), frames)
    assert words[0] == (0.0, WRONG_WAY_CUE.text)
    # 2.0: too soon after any word; 5.0: the same words again within 8 s; 9.5: allowed.
    assert (9.5, WRONG_WAY_CUE.text) in words and not any(t in (2.0, 5.0) for t, _ in words)
    for (a, ta), (b, tb) in zip(words, words[1:]):
        assert b - a >= SPEECH_ANY_MIN_S
    by_text = {}
    for t, text in words:
        assert t - by_text.get(text, -1e9) >= SPEECH_SAME_MIN_S
        by_text[text] = t


def test_muted_kinds_stay_silent():
    frames = [(i / 30, SPINE_CUE if i < 60 else WRONG_WAY_CUE, i < 60) for i in range(120)]
    tones, words = run(SoundGate(tone_on=False, speech_on=False), frames)
    assert tones == [] and words == []
