"""The app's pages, in one place, so that pages can link to each other: app.py registers the
pages (`register(pages())`), and a page links to another with `page(name)`. The pages are
imported only inside `pages()`, so no page imports another through this module."""
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


def pages() -> dict[str, Callable[[], None]]:
    """The app's pages, in the sidebar's order (imported here, when asked, so that a page may import
    this module without a cycle)."""
    from views import guide_page, live, progress, review

    return {"review": review.page, "live": live.page, "guide": guide_page.page, "progress": progress.page}


def page(name: str) -> st.Page:
    return _PAGES[name]
