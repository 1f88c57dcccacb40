"""The pages of `seslog serve`: search, a message's story, the overview; each with a JSON twin.

Every page is GET (and HEAD) only and reads nothing but the event log (and, for a message, SES
asks nothing: the page never calls SES or writes to AWS). A page's work runs as a ``Job``: the
first request starts it, and until it is done every request for the same page gets a page
that says it is running and reloads itself. Requests whose ``Host`` is not the address the
server listens on are refused (421), so that a web page elsewhere cannot reach this one through
DNS rebinding; responses carry a Content-Security-Policy that allows nothing from elsewhere.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from seslog import answers, why
from seslog.arguments import WhyTarget, address_or_message_id, parsed, span_of
from seslog.diagnosis.reasons import ACTORS, REASONS
from seslog.engine import Engine
from seslog.errors import SeslogError
from seslog.eventlog.partitioning import Scheme
from seslog.output import visible
from seslog.progress import Progress
from seslog.web import charts
from seslog.web.jobs import Job, Jobs
from seslog.window import message_window

HERE = Path(__file__).resolve().parent
SEARCH_SINCE, MESSAGE_SINCE, OVERVIEW_SINCE = "7d", "30d", "7d"
WAIT_SECONDS = 1.5
"""How long a request waits for its job before answering with the 'running' page."""
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
                    headers=SECURITY_HEADERS,
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


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


def create_app(site: Site, allowed_hosts: Iterable[str]) -> ASGIApp:
    templates = _templates()
    jobs = Jobs()

    def page(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        html = templates.get_template(template).render(
            request=request, target=site.target, reasons=REASONS, actors=ACTORS, **context
        )
        return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)

    def failed(request: Request, error: SeslogError) -> Response:
        if request.query_params.get("format") == "json":
            return JSONResponse({"error": str(error)}, status_code=400 if error.exit_code == 2 else 502, headers=SECURITY_HEADERS)
        return page(request, "error.html", 400 if error.exit_code == 2 else 502, message=str(error))

    def run(key: tuple, work: Callable[[Engine], Any]) -> Job:
        def answer(job: Job) -> Any:
            engine = site.engines(job)
            try:
                return work(engine)
            finally:
                costs = io.StringIO()
                engine.report(costs)
                job.costs = costs.getvalue().splitlines()

        job = jobs.ask(key, answer)
        job.done.wait(site.wait_seconds)
        return job

    def respond(
        request: Request, job: Job, json_document: Callable[[Any], Any], render: Callable[[Any], tuple[str, dict[str, Any]]]
    ) -> Response:
        wants_json = request.query_params.get("format") == "json"
        if not job.done.is_set():
            if wants_json:
                return JSONResponse(
                    {"running": True, "status": job.status, "seconds": round(job.elapsed, 1)},
                    status_code=202,
                    headers={**SECURITY_HEADERS, "Retry-After": "2"},
                )
            return page(request, "running.html", 202, job=job)
        if isinstance(job.error, SeslogError):
            return failed(request, job.error)
        if job.error is not None:
            return page(
                request,
                "error.html",
                500,
                message="unexpected error, a bug in seslog: the command line shows the same question's answer",
            )
        if wants_json:
            return JSONResponse(json_document(job.result), headers=SECURITY_HEADERS)
        template, context = render(job.result)
        return page(request, template, costs=job.costs, **context)

    async def search(request: Request) -> Response:
        query = request.query_params
        asked = (query.get("q") or "").strip()
        if not asked:
            return page(request, "search.html", asked="", since=SEARCH_SINCE)
        try:
            target: WhyTarget = parsed("ADDRESS|MESSAGE_ID", address_or_message_id, asked)
            if target.message_id:
                kept = {k: v for k, v in query.items() if k in ("from", "until", "since", "format")}
                return RedirectResponse(f"/message/{quote(target.message_id, safe='')}?{urlencode(kept)}", status_code=303)
            span = span_of(query.get("since"), query.get("from"), query.get("until"), SEARCH_SINCE)
        except SeslogError as error:
            return failed(request, error)
        job = run(("find", target.address, *_range_params(request)), lambda engine: answers.find(engine, target.address, span))
        return respond(
            request,
            job,
            lambda answer: answer.document,
            lambda answer: ("search.html", {"asked": asked, "span": span, "answer": answer, "document": answer.document}),
        )

    async def message(request: Request) -> Response:
        query = request.query_params
        try:
            target = parsed("MESSAGE_ID", address_or_message_id, request.path_params["message_id"])
            if not target.message_id:
                raise SeslogError(f"{target.address!r} is an address, not a message ID: search for it instead", exit_code=2)
            span = span_of(query.get("since"), query.get("from"), query.get("until"), MESSAGE_SINCE)
        except SeslogError as error:
            return failed(request, error)
        window = None
        if site.scheme and not any(_range_params(request)):
            # As `seslog message ID` without dates: the send day in the ID, and a line saying so.
            span, window = message_window(target.message_id, site.scheme, why.now_utc(), span)

        def work(engine: Engine) -> tuple[answers.Answer, answers.Answer]:
            explained = answers.explain(engine, target, span, why.now_utc(), region=None, ask_ses=None)
            return answers.message(engine, target.message_id, span), explained

        job = run(("message", target.message_id, *_range_params(request)), work)
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
                },
            ),
        )

    async def overview(request: Request) -> Response:
        query = request.query_params
        try:
            span = span_of(query.get("since"), query.get("from"), query.get("until"), OVERVIEW_SINCE)
        except SeslogError as error:
            return failed(request, error)
        job = run(("stats", *_range_params(request)), lambda engine: answers.stats(engine, span))
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
        )

    app = Starlette(
        routes=[
            Route("/", search, methods=["GET"]),
            Route("/message/{message_id:path}", message, methods=["GET"]),
            Route("/overview", overview, methods=["GET"]),
            Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
        ]
    )
    return HostCheck(app, allowed_hosts)
