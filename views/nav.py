"""The app's pages, in one place, so that pages can link to each other: app.py registers the
pages (`register`), and a page links to another with `page(name)`. Nothing here imports a page,
so no page imports another through it."""
from __future__ import annotations

from typing import Callable

import streamlit as st

TITLES = {"review": "Review a session", "live": "Live practice", "guide": "The guide", "progress": "Progress"}
ICONS = {"review": ":material/movie:", "live": ":material/videocam:", "guide": ":material/checklist:",
         "progress": ":material/trending_up:"}
_PAGES: dict[str, st.Page] = {}


def register(pages: dict[str, Callable[[], None]]) -> list[st.Page]:
    """st.Page objects for the pages' functions, in order; the first is the default page (at the
    app's root URL)."""
    _PAGES.clear()
    for i, (name, run) in enumerate(pages.items()):
        _PAGES[name] = st.Page(run, title=TITLES[name], icon=ICONS[name], default=True) if i == 0 else \
            st.Page(run, title=TITLES[name], icon=ICONS[name], url_path=name)
    return list(_PAGES.values())


def page(name: str) -> st.Page:
    return _PAGES[name]
