"""The app's pages, in one place, so that pages can link to each other."""
from __future__ import annotations

import streamlit as st

TITLES = {"review": "Review a session", "live": "Live practice", "guide": "The guide", "progress": "Progress"}


def page(name: str) -> st.Page:
    from . import guide_page, live, progress, review

    if name == "review":
        # The default page lives at the app's root URL ("/").
        return st.Page(review.page, title=TITLES["review"], icon=":material/movie:", default=True)
    if name == "live":
        return st.Page(live.page, title=TITLES["live"], icon=":material/videocam:", url_path="live")
    if name == "guide":
        return st.Page(guide_page.page, title=TITLES["guide"], icon=":material/checklist:", url_path="guide")
    if name == "progress":
        return st.Page(progress.page, title=TITLES["progress"], icon=":material/trending_up:", url_path="progress")
    raise KeyError(name)


def all_pages() -> list[st.Page]:
    return [page("review"), page("live"), page("guide"), page("progress")]
