"""The pages of `seslog serve`: search, a message's story, the overview; each with a JSON twin.

Every page is GET (and HEAD) only and reads nothing but the event log (and, for a message, SES
asks nothing: the page never calls SES or writes to AWS). A page's work runs as a ``Job``: the
first request starts it (or queues it behind the few that run at once), and until it is done every
request for the same page gets a page that says it is waiting or running and reloads itself.

What keeps it safe, from outside in: every response carries the security headers (a
Content-Security-Policy that allows nothing from elsewhere); requests whose ``Host`` is not a name
the server is reached by are refused (421), which stops DNS rebinding; a request that would start a
query but comes from another site (``Sec-Fetch-Site``, else ``Origin``/``Referer``) is not run but
offered as a link to follow here (403), so that a page elsewhere cannot spend the user's AWS
credentials; everything shown that came out of an email is escaped, its control and bidirectional
characters written out.
"""

from __future__ import annotations

import asyncio
import io
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import quote, urlencode, urlsplit

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from starlette.applications import Starlette
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from seslog import answers, why
from seslog.arguments import MAX_DAYS, TimeRange, WhyTarget, address_or_message_id, parsed, span_of
from seslog.diagnosis.reasons import ACTORS, NOT_FAILURES, REASONS
from seslog.engine import Engine
from seslog.errors import SeslogError
from seslog.eventlog.partitioning import Scheme
from seslog.output import visible
from seslog.progress import Progress
from seslog.web import charts
from seslog.web.jobs import WAITING, WORKERS, Busy, Job, Jobs
from seslog.window import message_window

HERE = Path(__file__).resolve().parent
SEARCH_SINCE, MESSAGE_SINCE, OVERVIEW_SINCE = "7d", "30d", "7d"
WAIT_SECONDS = 1.5
"""How long a request waits for its job before answering with the 'running' page."""
POLL_SECONDS = 0.05
"""How often a waiting request looks at its job: the wait yields to the event loop, which serves other requests."""
RANGE_NAMES = {"since": "since", "from": "From", "until": "Until"}
"""The range's values as the page names them: its form's fields (``since`` only in a link)."""
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}
LOCAL_MAX_DAYS = 400
"""The longest range the page reads from a local copy: a year and some, past which a question is a bulk export,
better asked of the command line (``--json``) than of a page that holds its answer in memory."""
SAME_SITE_FETCHES = {"same-origin", "none"}
"""``Sec-Fetch-Site`` values of a request the user made here: from one of these pages, or typed or bookmarked."""

EngineFactory = Callable[[Progress | None], Engine]
"""A new engine on the server's target, reporting its progress to the given object."""


@dataclass(frozen=True)
class Site:
    engines: EngineFactory
    target: str
    """What the pages read, in words: ``the local copy in demo`` or ``Athena workgroup ...``."""
    scheme: Scheme | None = None
    """The partitioning read; with it, a message page without dates reads the send day its ID carries."""
    wait_seconds: float = WAIT_SECONDS
    max_days: int = MAX_DAYS
    """The longest range a page answers: what the stack keeps (retentionDays), or the local copy's documented cap."""
    kept: str = "the log"
    """What ``max_days`` is, in words, for the line that refuses a longer range."""
    workers: int = WORKERS
    waiting: int = WAITING
    log: TextIO | None = None
    """Where each question started, and each refused, is written in one line (the server's stderr)."""


class Secured:
    """Adds the security headers to every response that lacks them: pages, errors, redirects, static files."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    if name not in headers:
                        headers[name] = value
            await send(message)

        await self.app(scope, receive, secured)


class HostCheck:
    """Refuses a request whose Host header is not one of the names the server is reached by."""

    def __init__(self, app: ASGIApp, allowed: Iterable[str]):
        self.app = app
        self.allowed = {host.lower() for host in allowed}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            host = dict(scope["headers"]).get(b"host", b"").decode("latin-1").lower()
            if host not in self.allowed:
                response = PlainTextResponse(
                    f"421 Misdirected Request: this server answers only as {' or '.join(sorted(self.allowed))}",
                    status_code=421,
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def from_elsewhere(request: Request) -> bool:
    """Whether the request was made by a page of another site (or another port of this machine): by the browser's
    ``Sec-Fetch-Site``, else by ``Origin`` or ``Referer`` naming another host. A request with none of them (a typed
    URL in an old browser, curl) is the user's own."""
    fetched = request.headers.get("sec-fetch-site")
    if fetched is not None:
        return fetched.lower() not in SAME_SITE_FETCHES
    origin = request.headers.get("origin") or request.headers.get("referer")
    if not origin or origin == "null":
        return origin == "null"
    return urlsplit(origin).netloc.lower() != request.headers.get("host", "").lower()


def _range_params(request: Request) -> tuple[str | None, ...]:
    """A page's range as asked, not as computed: a default range ends at "now", which a reload must not change."""
    return tuple(request.query_params.get(name) for name in ("since", "from", "until"))


def _shown(value: Any) -> Any:
    """Every value a page shows, with the characters that act rather than show written out (a bidirectional override
    in a subject would reorder the text around it); markup the templates made themselves is left as it is."""
    return visible(value) if isinstance(value, str) and not isinstance(value, Markup) else value


def _templates() -> Environment:
    environment = Environment(
        loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"]), finalize=_shown
    )
    environment.filters["quote"] = lambda value: quote(str(value), safe="")
    return environment


def _back(request: Request, path: str, **extra: str) -> str:
    """The page to go back to after an error: ``path`` with what was asked (the form's values), not the JSON switch."""
    kept = {**extra, **{k: v for k, v in request.query_params.items() if k != "format"}}
    return f"{path}?{urlencode(kept)}" if kept else path


def _wants_json(request: Request) -> bool:
    return request.query_params.get("format") == "json"


def _failures_first(verdicts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A message's verdicts with the recipients it failed for first (on a phone, above the fold)."""
    return sorted(verdicts, key=lambda v: v.get("reason") in NOT_FAILURES)


def create_app(site: Site, allowed_hosts: Iterable[str]) -> ASGIApp:
    templates = _templates()
    jobs = Jobs(site.workers, site.waiting)

    def say(line: str) -> None:
        if site.log is not None:
            site.log.write(f"seslog serve: {visible(line)}\n")
            site.log.flush()

    def page(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        html = templates.get_template(template).render(
            request=request, target=site.target, reasons=REASONS, actors=ACTORS, **context
        )
        return HTMLResponse(html, status_code=status)

    def failed(request: Request, message: str, status: int, back: str = "/") -> Response:
        """An error, as JSON when JSON was asked, else as a page with a way back to what was asked."""
        if _wants_json(request):
            return JSONResponse({"error": message}, status_code=status)
        return page(request, "error.html", status, message=message, back=back)

    def refused(request: Request, error: SeslogError, back: str = "/") -> Response:
        return failed(request, str(error), 400 if error.exit_code == 2 else 502, back)

    def checked(span: TimeRange) -> TimeRange:
        days = (span.last_day - span.first_day).days + 1
        if days > site.max_days + 1:  # "the last 90 days" touches 91 calendar days
            raise SeslogError(
                f"the range {span.describe()} is {days} days long, and {site.kept} keeps {site.max_days}: ask for at most that",
                exit_code=2,
            )
        return span

    async def run(request: Request, key: tuple, asking: str, work: Callable[[Engine], Any]) -> Job | Response:
        """The job answering ``key`` (started or queued if new), once done or after the page's wait; or the response
        that refuses to start it (asked from another site, or too many questions waiting)."""
        if from_elsewhere(request):
            say(f"refused, as asked by a page of another site: {asking}")
            return page(request, "elsewhere.html", 403, asking=asking, here=f"{request.url.path}?{request.url.query}")

        def answer(job: Job) -> Any:
            engine = site.engines(job)
            try:
                return work(engine)
            finally:
                costs = io.StringIO()
                engine.report(costs)
                job.costs = costs.getvalue().splitlines()

        try:
            job = jobs.ask(key, answer)
        except Busy:
            message = (
                f"seslog serve answers {site.workers} at once and {site.waiting} more are waiting their turn: "
                "ask again in a moment"
            )
            response = failed(request, message, 503, f"{request.url.path}?{request.url.query}")
            response.headers["Retry-After"] = "5"
            return response
        if not job.asking:  # a new question
            job.asking = asking
            say(f"looking up {asking}")
        # Polled, not waited on: a blocking wait would hold the event loop and every other request with it.
        deadline = time.monotonic() + site.wait_seconds
        while not job.done.is_set() and time.monotonic() < deadline:
            await asyncio.sleep(POLL_SECONDS)
        return job

    def respond(
        request: Request,
        job: Job | Response,
        json_document: Callable[[Any], Any],
        render: Callable[[Any], tuple[str, dict[str, Any]]],
        back: str = "/",
    ) -> Response:
        if isinstance(job, Response):
            return job
        if not job.done.is_set():
            if _wants_json(request):
                return JSONResponse(
                    {"running": True, "status": job.status, "seconds": round(job.elapsed, 1)},
                    status_code=202,
                    headers={"Retry-After": "2"},
                )
            return page(request, "running.html", 202, job=job)
        if isinstance(job.error, SeslogError):
            return refused(request, job.error, back)
        if job.error is not None:
            return failed(
                request, "unexpected error, a bug in seslog: the command line shows the same question's answer", 500, back
            )
        if _wants_json(request):
            return JSONResponse(json_document(job.result))
        template, context = render(job.result)
        return page(request, template, costs=job.costs, **context)

    async def search(request: Request) -> Response:
        query = request.query_params
        asked = (query.get("q") or "").strip()
        back = _back(request, "/")
        if not asked:
            if _wants_json(request):
                return failed(request, "q is empty: give a recipient address or a message ID", 400)
            return page(request, "search.html", asked="", since=SEARCH_SINCE)
        try:
            target: WhyTarget = parsed("ADDRESS|MESSAGE_ID", address_or_message_id, asked)
            if target.message_id:
                kept = {k: v for k, v in query.items() if k in ("from", "until", "since", "format")}
                return RedirectResponse(f"/message/{quote(target.message_id, safe='')}?{urlencode(kept)}", status_code=303)
            span = checked(span_of(query.get("since"), query.get("from"), query.get("until"), SEARCH_SINCE, names=RANGE_NAMES))
        except SeslogError as error:
            return refused(request, error, back)
        job = await run(
            request,
            ("why", target.address, *_range_params(request)),
            f"what became of the mail to {target.address}, sent {span.describe()}",
            lambda engine: answers.explain(engine, target, span, why.now_utc(), region=None, ask_ses=None),
        )
        return respond(
            request,
            job,
            lambda answer: answer.document,
            lambda answer: ("search.html", {"asked": asked, "span": span, "document": answer.document}),
            back,
        )

    async def message(request: Request) -> Response:
        query = request.query_params
        back = _back(request, "/", q=request.path_params["message_id"])
        try:
            target = parsed("MESSAGE_ID", address_or_message_id, request.path_params["message_id"])
            if not target.message_id:
                raise SeslogError(f"{target.address!r} is an address, not a message ID: search for it instead", exit_code=2)
            span = checked(span_of(query.get("since"), query.get("from"), query.get("until"), MESSAGE_SINCE, names=RANGE_NAMES))
        except SeslogError as error:
            return refused(request, error, back)
        window = None
        if site.scheme and not any(_range_params(request)):
            # As `seslog message ID` without dates: the send day in the ID, and a line saying so.
            span, window = message_window(target.message_id, site.scheme, why.now_utc(), span)

        def work(engine: Engine) -> tuple[answers.Answer, answers.Answer]:
            explained = answers.explain(engine, target, span, why.now_utc(), region=None, ask_ses=None)
            return answers.message(engine, target.message_id, span), explained

        job = await run(
            request,
            ("message", target.message_id, *_range_params(request)),
            f"the story of message {target.message_id}, sent {span.describe()}",
            work,
        )
        return respond(
            request,
            job,
            lambda both: {"timeline": both[0].document, "why": both[1].document},
            lambda both: (
                "message.html",
                {
                    "message_id": target.message_id,
                    "span": span,
                    "window": window,
                    "timeline": both[0].document,
                    "why": both[1].document,
                    "verdicts": _failures_first(both[1].document["verdicts"]),
                },
            ),
            back,
        )

    async def overview(request: Request) -> Response:
        query = request.query_params
        try:
            span = checked(span_of(query.get("since"), query.get("from"), query.get("until"), OVERVIEW_SINCE, names=RANGE_NAMES))
        except SeslogError as error:
            return refused(request, error, _back(request, "/overview"))
        job = await run(
            request,
            ("stats", *_range_params(request)),
            f"the events of {span.describe()}",
            lambda engine: answers.stats(engine, span),
        )
        return respond(
            request,
            job,
            lambda answer: answer.document,
            lambda answer: (
                "overview.html",
                {
                    "span": span,
                    "document": answer.document,
                    "events": charts.events_per_day(answer.document),
                    "rates": charts.rates_per_day(answer.document),
                },
            ),
            _back(request, "/overview"),
        )

    async def http_error(request: Request, error: Exception) -> Response:
        assert isinstance(error, HTTPException)
        words = {404: "there is no such page here", 405: "this page only answers GET and HEAD"}
        response = failed(request, words.get(error.status_code, error.detail), error.status_code)
        response.headers.update(error.headers or {})
        return response

    app = Starlette(
        routes=[
            Route("/", search, methods=["GET"]),
            Route("/message/{message_id:path}", message, methods=["GET"]),
            Route("/overview", overview, methods=["GET"]),
            Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
        ],
        exception_handlers={HTTPException: http_error},
    )
    return Secured(HostCheck(app, allowed_hosts))
