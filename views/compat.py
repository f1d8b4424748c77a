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


# -- server: loopback Host names only, no framing by other sites ----------------------------------

LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
ENV_HOSTS = "MASSAGE_COACH_ALLOWED_HOSTS"   # more names, comma-separated, for a deliberate 0.0.0.0 set-up
# Streamlit's components (streamlit-webrtc among them) are iframes served by this same server:
# framing by the same origin must stay allowed, framing by any other site is refused.
FRAME_HEADERS = ((b"x-frame-options", b"SAMEORIGIN"), (b"content-security-policy", b"frame-ancestors 'self'"))


def allowed_hosts() -> frozenset[str]:
    """The Host names the server answers: loopback, the configured server.address, and any in
    $MASSAGE_COACH_ALLOWED_HOSTS. A web page that rebinds its own name to 127.0.0.1 (DNS
    rebinding) sends its own name as Host, and is refused."""
    import os

    extra = {h.strip().lower().strip("[]") for h in os.environ.get(ENV_HOSTS, "").split(",") if h.strip()}
    try:
        from streamlit import config

        address = (config.get_option("server.address") or "").strip().lower().strip("[]")
    except Exception:  # noqa: BLE001 - no config: loopback only
        address = ""
    if address and address not in ("0.0.0.0", "::"):
        extra.add(address)
    return LOOPBACK_HOSTS | extra


def host_name(scope: dict) -> str | None:
    """The Host header's name without the port ("[::1]:8501" -> "::1"); None when absent."""
    for key, value in scope.get("headers") or ():
        if key == b"host":
            host = value.decode("latin-1").strip().lower()
            if host.startswith("["):
                return host[1:host.find("]")] if "]" in host else None
            return host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    return None


def guard_server() -> bool:
    """Refuses requests whose Host is not an allowed name (HTTP 403; a WebSocket is closed
    before it opens, which the browser sees as 403) and adds anti-framing headers to every
    HTTP response. Streamlit has no setting for either.

    Applied to Starlette's class, so the running server's app (built before this script ran)
    is covered from the next request on: app.py calls this on every run, and the first
    session's run comes before any page is served to a browser other than its own."""
    from starlette.applications import Starlette

    if getattr(Starlette.__call__, "_massage_coach_guard", False):
        return True
    original = Starlette.__call__

    async def guarded(self, scope, receive, send):
        if scope.get("type") not in ("http", "websocket"):
            return await original(self, scope, receive, send)
        host = host_name(scope)
        if host not in allowed_hosts():
            LOG.warning("refused a %s request for Host %r (not a loopback name)", scope["type"], host)
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})
            else:
                body = b"This server answers only http://localhost (Host not allowed).\n"
                await send({"type": "http.response.start", "status": 403,
                            "headers": [(b"content-type", b"text/plain"),
                                        (b"content-length", str(len(body)).encode()), *FRAME_HEADERS]})
                await send({"type": "http.response.body", "body": body})
            return None
        if scope["type"] == "http":
            inner = send

            async def send(message):
                if message["type"] == "http.response.start":
                    names = {k.lower() for k, _ in message.get("headers", ())}
                    message = {**message, "headers": [*message.get("headers", ()),
                                                       *(h for h in FRAME_HEADERS if h[0] not in names)]}
                await inner(message)
        return await original(self, scope, receive, send)

    guarded._massage_coach_guard = True
    Starlette.__call__ = guarded
    LOG.info("server guard: Host must be one of %s; framing by other sites refused", sorted(allowed_hosts()))
    return True
