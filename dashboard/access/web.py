"""The web side of access: sign-in pages, the per-request actor, the gate in front of every
route, sessions, rate limits and security headers. ``install(server, ...)`` wires it into the
Flask server that Dash runs on; pages, callbacks and export routes then read ``current_actor()``.

Every request resolves its actor exactly once (``_resolve``), before any view runs:
- MCRED_AUTH=none: the local ministry user, and only for requests from this machine;
- a signed-in session: that person (local accounts are looked up again on every request,
  so a removed account or a changed role takes effect at once);
- otherwise the public, when MCRED_PUBLIC=1, or nobody: pages redirect to /login and
  data routes answer 401.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import flask
from flask import Blueprint, Flask, g, redirect, render_template, request, session
from flask_limiter import Limiter, RateLimitExceeded
from flask_limiter.util import get_remote_address
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from dashboard.access.actor import LOCAL_MINISTRY, PUBLIC, Actor
from dashboard.access.mapping import RoleMapping
from dashboard.access.settings import AccessSettings, is_loopback
from dashboard.access.store import AccessStore

EXTENSION_KEY = "mcred.access"
# Code and styles, never data: served to anyone (the sign-in page needs them too).
OPEN_PREFIXES = ("/assets/", "/_dash-component-suites/", "/_favicon.ico", "/favicon.ico")
OPEN_PATHS = ("/login", "/logout", "/login/oidc", "/login/oidc/callback", "/healthz")
# Data routes answer 401/403; everything else is a page that redirects to /login.
DATA_PREFIXES = ("/_dash-", "/export/", "/_reload-hash")
# Pages that list offerings, files or issues one by one: the public view has none of them.
# (/submissions shows the public the reporting status only: dashboard/data/scope.py.)
NOT_PUBLIC_PAGES = ("/explore", "/admin", "/submit")
# Pages for ministry staff only (account administration and the audit log).
MINISTRY_PAGES = ("/admin",)
FAILED_SIGN_IN_LIMIT_ACCOUNT = "5 per 15 minutes"
FAILED_SIGN_IN_LIMIT_ADDRESS = "20 per 15 minutes"

bp = Blueprint("access", __name__, template_folder=str(Path(__file__).with_name("templates")))


class _Access:
    """What install() sets up, kept on the Flask app (no module-level state)."""

    def __init__(self, settings: AccessSettings, store: AccessStore, mapping: RoleMapping | None):
        self.settings = settings
        self.store = store
        self.mapping = mapping
        self.oauth_client: Any = None


def _access() -> _Access:
    return flask.current_app.extensions[EXTENSION_KEY]  # type: ignore[no-any-return]


def store() -> AccessStore:
    """This app's account and audit store."""
    return _access().store


def request_actor() -> Actor | None:
    """Who is making this request, or None when nobody has signed in (open routes only)."""
    return g.get("mcred_actor")  # type: ignore[no-any-return]


def current_actor() -> Actor:
    """Who is making this request. The gate resolves it first; code running in a request
    context the gate did not see (a test's ``test_request_context``) resolves it by the same
    rules. Nobody signed in, outside an open route: an error, never a default."""
    actor = g.get("mcred_actor") or _resolve()
    if actor is None:
        raise RuntimeError("current_actor() in a request that nobody signed in to")
    return actor


def audit(action: str, **detail: Any) -> None:
    """Record an event for the current request's actor (exports, sign-ins)."""
    actor = g.get("mcred_actor")
    _access().store.record(
        action,
        actor=actor.email if actor else None,
        role=actor.role if actor else None,
        address=request.remote_addr,
        route=request.path,
        detail=detail,
    )


# --- install ---------------------------------------------------------------------------------


def install(
    server: Flask, settings: AccessSettings, store: AccessStore, script_hashes: Callable[[], list[str]] = list
) -> None:
    """Put the gate, the sign-in routes and the security headers on ``server``.

    ``script_hashes`` gives the hashes of the inline scripts the page may run (Dash's
    ``app.csp_hashes``), computed once all callbacks are registered.
    """
    mapping = RoleMapping.read(settings.oidc_mapping) if settings.auth == "oidc" and settings.oidc_mapping else None
    state = _Access(settings, store, mapping)
    server.extensions[EXTENSION_KEY] = state
    server.config.update(
        SECRET_KEY=settings.secret_key or secrets.token_urlsafe(48),
        SESSION_COOKIE_NAME="mcred_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.https,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=settings.session_hours),
        PREFERRED_URL_SCHEME="https" if settings.https else "http",
    )
    if settings.proxy_hops:
        hops = settings.proxy_hops
        server.wsgi_app = ProxyFix(server.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    if settings.auth == "oidc":
        from authlib.integrations.flask_client import OAuth

        oauth = OAuth(server)
        state.oauth_client = oauth.register(
            "mcred",
            client_id=settings.oidc_client_id,
            client_secret=settings.oidc_client_secret,
            server_metadata_url=f"{settings.oidc_issuer}/.well-known/openid-configuration",
            client_kwargs={"scope": "openid email profile", "code_challenge_method": "S256"},
        )
    limiter = Limiter(
        get_remote_address,
        app=server,
        storage_uri=settings.ratelimit_storage,
        strategy="fixed-window",
        key_prefix="mcred",
    )
    server.register_blueprint(bp)
    # The limits belong to this app's Limiter (its own counters), so they wrap the view here.
    failed: Callable[[flask.Response], bool] = lambda response: response.status_code == 401  # noqa: E731
    server.view_functions["access.login_post"] = limiter.limit(FAILED_SIGN_IN_LIMIT_ADDRESS, deduct_when=failed)(
        limiter.limit(FAILED_SIGN_IN_LIMIT_ACCOUNT, key_func=_attempted_account, deduct_when=failed)(login_post)
    )
    # First of all before-request hooks: Dash's own (_setup_server) already builds layouts.
    server.before_request_funcs.setdefault(None, []).insert(0, _gate)
    server.after_request(_audit_export)
    headers = _security_headers(settings, script_hashes)
    server.after_request(lambda response: _add_headers(response, headers))
    server.register_error_handler(RateLimitExceeded, _too_many)
    server.register_error_handler(HTTPException, _http_error)


def _attempted_account() -> str:
    return "account:" + (request.form.get("email") or "").strip().lower()[:254]


# --- the gate ----------------------------------------------------------------------------------


def _resolve() -> Actor | None:
    state = _access()
    settings = state.settings
    if not settings.sign_in:
        return LOCAL_MINISTRY
    actor = Actor.from_session(session.get("actor"))
    if actor is not None and actor.via == "local":
        account = state.store.account(actor.email or "")
        if account is None or (account.role, account.institution) != (actor.role, actor.institution):
            session.clear()
            actor = None
    elif actor is not None and actor.via != "oidc":
        actor = None
    if actor is None and settings.public:
        return PUBLIC
    return actor


def refused_page(actor: Actor | None, path: str) -> Callable[[], flask.Response] | None:
    """How the gate refuses ``actor`` a visit to the page at ``path`` (None: it does not)."""
    page = path.rstrip("/")
    if actor is not None and actor.role == "public" and page in NOT_PUBLIC_PAGES:
        return _not_public
    if actor is not None and actor.role != "ministry" and page in MINISTRY_PAGES:
        return _ministry_only
    return None


def _gate() -> flask.Response | None:
    path = request.path
    settings = _access().settings
    if not settings.sign_in and not is_loopback(request.remote_addr or ""):
        return _plain("MCRED_AUTH=none serves this machine only: set MCRED_AUTH=local or oidc to serve a network.", 403)
    actor = _resolve()
    g.mcred_actor = actor
    if path.startswith(OPEN_PREFIXES) or path in OPEN_PATHS:
        return None
    refusal = refused_page(actor, path)
    if refusal is not None:
        return refusal()
    if actor is not None:
        return None
    if path.startswith(DATA_PREFIXES):
        return _plain("Sign in first: /login", 401)
    target = path + (f"?{request.query_string.decode('latin-1')}" if request.query_string else "")
    return redirect("/login?" + urlencode({"next": target}))  # type: ignore[return-value]


# --- the export audit: one hook for every route of the exports Blueprint ---------------------------

EXPORT_BLUEPRINT = "exports"


def exported_rows(rows: int) -> None:
    """An export route says how many rows it wrote (the audit never reads a body back)."""
    g.mcred_export_rows = int(rows)


def streamed_rows() -> list[int]:
    """For a streamed export: a counter that its chunks add their rows to as they are sent; the
    audit records it once the last chunk is out."""
    counter = [0]
    g.mcred_export_counter = counter
    return counter


def _audit_export(response: flask.Response) -> flask.Response:
    """Append who exported what: the route, its filters (the query string) and the rows written.
    A streamed CSV is counted as it goes out and recorded when its last row has."""
    if (
        request.blueprint != EXPORT_BLUEPRINT
        or response.status_code != 200
        or EXTENSION_KEY not in flask.current_app.extensions
    ):
        return response
    actor = g.get("mcred_actor")
    entry = {
        "actor": actor.email if actor else None,
        "role": actor.role if actor else None,
        "address": request.remote_addr,
        "route": request.path,
    }
    query = request.query_string.decode("utf-8", "replace")
    fmt = request.path.rsplit(".", 1)[-1]
    store = _access().store

    def record(rows: int | None) -> None:  # may run after the request (a streamed download)
        store.record("export", **entry, detail={"query": query, "rows": rows, "format": fmt})

    counter = g.get("mcred_export_counter")
    if response.is_streamed and counter is not None:
        response.response = _counting(response.response, record, counter)
    else:
        record(g.get("mcred_export_rows"))  # None: the route did not say (a gap the audit test finds)
    return response


def _counting(chunks: Any, record: Callable[[int | None], None], counter: list[int]) -> Any:
    """The stream, recording the rows its chunks added to ``counter`` once the last is out."""
    try:
        yield from chunks
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()
    record(counter[0])


def _csrf_token() -> str:
    token = session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


def _csrf_ok() -> bool:
    sent = request.form.get("csrf_token", "")
    expected = session.get("csrf")
    return isinstance(expected, str) and hmac.compare_digest(sent.encode(), expected.encode())


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never //evil.example or https://evil.example."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return "/"
    return target


def _login_page(error: str | None = None, status: int = 200, email: str = "") -> flask.Response:
    settings = _access().settings
    body = render_template(
        "login.html",
        mode=settings.auth,
        error=error,
        email=email,
        csrf_token=_csrf_token(),
        next=_safe_next(request.values.get("next")),
        public=settings.public,
    )
    response = flask.make_response(body, status)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/login")
def login_form() -> flask.Response:
    if not _access().settings.sign_in:
        return redirect("/")  # type: ignore[return-value]
    return _login_page()


@bp.post("/login")
def login_post() -> flask.Response:
    state = _access()
    if state.settings.auth != "local":
        return _plain("Sign-in with a password is off here: use /login.", 404)
    if not _csrf_ok():
        return _login_page("Your sign-in form had expired. Please try again.", 400)
    email = (request.form.get("email") or "").strip()
    password = request.form.get("password") or ""
    account = state.store.authenticate(email, password)
    if account is None:
        state.store.record(
            "sign_in_failed", actor=email.lower()[:254] or None, address=request.remote_addr, route="/login"
        )
        return _login_page("The email or password is not right.", 401, email=email)
    _start_session(Actor(role=account.role, email=account.email, institution=account.institution, via="local"))
    return redirect(_safe_next(request.form.get("next")))  # type: ignore[return-value]


def _start_session(actor: Actor) -> None:
    session.clear()  # a new session on sign-in: nothing from before carries over
    session.permanent = True
    session["actor"] = actor.to_session()
    g.mcred_actor = actor
    _csrf_token()
    _access().store.record(
        "sign_in",
        actor=actor.email,
        role=actor.role,
        address=request.remote_addr,
        route=request.path,
        detail={"via": actor.via, "institution": actor.institution},
    )


@bp.route("/logout", methods=["GET", "POST"])
def logout() -> flask.Response:
    actor = Actor.from_session(session.get("actor"))
    if actor is not None:
        _access().store.record(
            "sign_out", actor=actor.email, role=actor.role, address=request.remote_addr, route="/logout"
        )
    session.clear()
    return redirect("/login" if _access().settings.sign_in else "/")  # type: ignore[return-value]


@bp.get("/login/oidc")
def oidc_start() -> flask.Response:
    state = _access()
    if state.oauth_client is None:
        return _plain("Single sign-on is off here.", 404)
    session["oidc_next"] = _safe_next(request.args.get("next"))
    redirect_uri = flask.url_for("access.oidc_callback", _external=True)
    try:
        metadata = state.oauth_client.load_server_metadata()
    except Exception:  # noqa: BLE001 - the provider is down or misconfigured: say so, no traceback
        return _login_page("The single sign-on service cannot be reached. Please try again later.", 503)
    if metadata.get("issuer", "").rstrip("/") != state.settings.oidc_issuer:
        return _login_page("The single sign-on service names a different issuer than MCRED_OIDC_ISSUER.", 503)
    return state.oauth_client.authorize_redirect(redirect_uri, nonce=secrets.token_urlsafe(24))  # type: ignore[no-any-return]


@bp.get("/login/oidc/callback")
def oidc_callback() -> flask.Response:
    from authlib.integrations.base_client.errors import OAuthError
    from joserfc.errors import JoseError
    from requests import RequestException

    state = _access()
    if state.oauth_client is None or state.mapping is None:
        return _plain("Single sign-on is off here.", 404)
    try:
        token = state.oauth_client.authorize_access_token(
            claims_options={"iss": {"essential": True, "values": [state.settings.oidc_issuer]}}
        )
    except RequestException:
        return _login_page("The single sign-on service cannot be reached. Please try again later.", 503)
    except (OAuthError, JoseError, ValueError, KeyError) as exc:
        state.store.record(
            "sign_in_failed",
            address=request.remote_addr,
            route=request.path,
            detail={"via": "oidc", "reason": type(exc).__name__},
        )
        return _login_page("Single sign-on did not complete. Please try again.", 401)
    claims = dict(token.get("userinfo") or {})
    if not claims:  # no validated ID token: never trust an access token alone
        return _login_page("Single sign-on did not complete. Please try again.", 401)
    actor = state.mapping.actor_for(claims)
    if actor is None:
        state.store.record(
            "sign_in_failed",
            actor=claims.get("email") or claims.get("sub"),
            address=request.remote_addr,
            route=request.path,
            detail={"via": "oidc", "reason": "no role in MCRED_OIDC_MAPPING"},
        )
        return _login_page(
            "You signed in, but mcred has no role for you. Ask the ministry's mcred administrator for access.", 403
        )
    next_path = session.get("oidc_next")
    _start_session(actor)
    return redirect(_safe_next(next_path))  # type: ignore[return-value]


@bp.get("/healthz")
def healthz() -> flask.Response:
    return _plain("ok", 200)


# --- responses ---------------------------------------------------------------------------------


def _plain(text: str, status: int) -> flask.Response:
    response = flask.make_response(text + "\n", status)
    response.mimetype = "text/plain"
    return response


def _not_public() -> flask.Response:
    body = render_template("not_public.html", page=request.path)
    response = flask.make_response(body, 403)
    response.headers["Cache-Control"] = "no-store"
    return response


def _ministry_only() -> flask.Response:
    body = render_template("ministry_only.html", page=request.path)
    response = flask.make_response(body, 403)
    response.headers["Cache-Control"] = "no-store"
    return response


def _too_many(_exc: RateLimitExceeded) -> flask.Response:
    if request.path == "/login":
        return _login_page("Too many failed sign-ins. Wait 15 minutes, then try again.", 429)
    return _plain("Too many requests. Wait a little, then try again.", 429)


def _http_error(exc: HTTPException) -> flask.Response:
    """Plain words for every HTTP error: no traceback, no path, no version."""
    code = exc.code or 500
    return _plain(f"{code} {exc.name}: {exc.description if code < 500 else 'the server could not answer.'}", code)


def _security_headers(settings: AccessSettings, script_hashes: Callable[[], list[str]]) -> Callable[[], dict[str, str]]:
    cache: dict[str, dict[str, str]] = {}

    def build() -> dict[str, str]:
        if "h" not in cache:
            # Dash gives them quoted already ("'sha256-...'"); one of each.
            scripts = " ".join(dict.fromkeys(script_hashes()))
            policy = "; ".join(
                [
                    "default-src 'self'",
                    f"script-src 'self' {scripts}".strip(),
                    # Dash and Plotly set style attributes at run time.
                    "style-src 'self' 'unsafe-inline'",
                    "img-src 'self' data: blob:",
                    "font-src 'self' data:",
                    "connect-src 'self'",
                    "object-src 'none'",
                    "base-uri 'self'",
                    "form-action 'self'",
                    "frame-ancestors 'none'",
                ]
            )
            headers = {
                "Content-Security-Policy": policy,
                "X-Content-Type-Options": "nosniff",
                "X-Frame-Options": "DENY",
                "Referrer-Policy": "same-origin",
                "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
            }
            if settings.https:
                headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
            cache["h"] = headers
        return cache["h"]

    return build


def _add_headers(response: flask.Response, headers: Callable[[], dict[str, str]]) -> flask.Response:
    for name, value in headers().items():
        response.headers.setdefault(name, value)
    if "Server" in response.headers:
        response.headers["Server"] = "mcred"
    return response
