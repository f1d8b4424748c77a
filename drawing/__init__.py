"""Drawing: what the coach draws on frames (OpenCV) and the colours the app's charts share.

Below the orchestration (`coaching`), above the analysis core (`feedback`), which never draws."""
