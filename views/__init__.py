"""The Streamlit app's pages and shared widgets (app.py wires them up with st.navigation).

- review.py: review a recorded session (the default page; opens on a bundled sample)
- live.py: live practice with the webcam (streamlit-webrtc)
- guide_page.py: the guide's sequence and safety rules as a checklist, and the doctor-first list
- widgets.py: the page edge (errors), the coach level, the report display (its parts in report_sections.py)
- checklist.py: the guide checklist's items and remembered ticks (no page)
- nav.py: the registry of pages app.py fills, for links between pages
- calibrate.py: setting the spine line by hand on a still
- processing.py: samples, stills and uploads, without Streamlit (the analysis itself: coaching/)
- compat.py: a fix for Streamlit 1.60 on Starlette >= 1.5 (media files answered 500)
"""
