"""The Streamlit app's pages and shared widgets (app.py wires them up with st.navigation).

- review.py: review a recorded session (the default page; opens on a bundled sample)
- live.py: live practice with the webcam (streamlit-webrtc)
- guide_page.py: the guide's sequence and safety rules as a checklist, and the doctor-first list
- widgets.py: the page edge (errors), the coach level, the report display
- calibrate.py: setting the spine line by hand on a still
- processing.py: the work behind the pages, without Streamlit
- compat.py: a fix for Streamlit 1.60 on Starlette >= 1.5 (media files answered 500)
"""
