"""Benchmarks of the massage coach: `python -m bench [--quick] [--sample PATH] [--json]`.

On a bundled sample video (sample_videos/*.mp4, 640x480) it measures bare MediaPipe Hands and
the full frame pipeline on the same frames, the analysis core alone on simulated tracks, how
fast a recording is reviewed against real time, and the memory of a 60-minute session, then
checks each against its target. Modules: `video` (MediaPipe, pipeline, review), `analysis`
(SessionAnalyzer.push throughput and latency), `memory` (a subprocess per session length).
"""
