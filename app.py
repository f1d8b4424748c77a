"""Massage practice coach: the Streamlit app.

    streamlit run app.py

Pages (views/): review a recorded session (the default, opens on a bundled sample), live
practice with the webcam, and the guide's checklist. Settings in .streamlit/config.toml
(binds to localhost only).
"""
import streamlit as st

from tracker import filestore
from views import compat, nav, widgets

compat.patch_streamlit_gzip()  # videos and downloads answer 500 without it on Starlette >= 1.5
compat.guard_server()  # only localhost as the Host (DNS rebinding); no framing by other sites
filestore.sweep_once()  # recordings and uploads left by a killed server are removed at the next start

st.set_page_config(page_title="Massage practice coach", page_icon="💆", layout="wide")
current = st.navigation(nav.register(nav.pages()))
widgets.sidebar()
current.run()
