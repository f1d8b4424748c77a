"""A fix for Streamlit 1.60 served by Starlette >= 1.x (what pip resolves today).

Streamlit's gzip middleware subclasses Starlette's GZip/Identity responders and, for the
`http.response.start` message, only records the headers. Newer Starlette moved the decision
for excluded content types (video/*, audio/*, images, partial 206 responses) into that same
start message: it must *send* the start there, and later sends the body straight through. With
Streamlit's override the body goes out before any start, uvicorn raises "Expected ASGI message
'http.response.start', but got 'http.response.body'", and every st.video, st.audio and
video download answers 500 (checked here: a two-line app with st.video fails the same way).

Newer Starlette already excludes video/* and audio/* itself, so the fix is to let its own
method handle the start message. Applied only when the installed Starlette is the new kind
(its responders take `exclude_content_types`); a no-op otherwise. Idempotent.
"""
from __future__ import annotations

import inspect
import logging

LOG = logging.getLogger("massage_coach.compat")


def patch_streamlit_gzip() -> bool:
    """Returns True when the fix was (or already is) applied."""
    try:
        from starlette.middleware import gzip as sgz
        from streamlit.web.server.starlette import starlette_gzip_middleware as stgz
    except ImportError:
        return False
    if "exclude_content_types" not in inspect.signature(sgz.IdentityResponder.__init__).parameters:
        return False  # older Starlette: Streamlit's override matches it
    pairs = ((getattr(stgz, "_MediaAwareIdentityResponder", None), sgz.IdentityResponder),
             (getattr(stgz, "_MediaAwareGZipResponder", None), sgz.GZipResponder))
    for cls, base in pairs:
        if cls is None:
            continue
        if cls.__dict__.get("send_with_compression") is not None:
            # Fall back to Starlette's own method (which handles excluded types and 206s).
            del cls.send_with_compression
            LOG.info("patched %s for Starlette's new gzip responder", cls.__name__)
    return True
