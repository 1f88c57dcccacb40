"""The named investigation queries: SQL templates in ``seslog/eventlog/queries/*.sql``, rendered per scheme.

One template serves every partitioning scheme and both engines. Templates are written in
Athena's dialect (Trino) and hold, besides SQL:

- a header: ``-- <description>``, then one ``-- <parameter>: <description>`` line per parameter;
- ``:name`` where a parameter's value goes. For Athena it becomes a ``?`` execution parameter
  (positional, allowed only in WHERE clauses: Athena guide, "Use parameterized queries"), so a
  name used twice takes its value twice; for DuckDB a named ``$name`` parameter. Values are
  never formatted into the SQL;
- ``{table}``, the Glue table;
- ``{event_time}``, ``{event_recipients}``, ``{event_detail}``, ``{outcome_key}``,
  ``{recipient_diagnostics}``, ``{recipient_statuses}``: the SQL expressions in
  ``queries/fragments/``, ``{recipient_failures}``, a derived table there (each recipient of a
  bounce or delay with its own reply), and ``{event_columns}``, a select list there;
  ``{names(event_columns)}``, that list's column names, to select them again from a subquery;
- ``{sent_partitions}`` (a message's events, by its send days), ``{send_event_partitions}`` (the
  events at sending, by their days), ``{event_partitions}`` (events by the days they happened),
  ``{event_types(API_NAME, ...)}``: predicates on the scheme's partition columns, so that every query prunes partitions. ``dt`` is the day the
  object's oldest record reached Firehose, which can be the day before an event (a buffer
  opened before midnight) or the day after (the event came just before midnight): event-day
  ranges widen by a day either way, and a message's events are looked for from the day
  before it was sent to ``LOOKAHEAD_DAYS`` after. Under the ``none`` scheme they are ``TRUE``:
  there is nothing to prune. Under the send-date scheme a message's events are in its send
  day's ``sent`` partitions, whenever they arrived (up to the scheme's ``late_days``): the
  message ranges name those days alone, and no look-ahead is needed; event-day ranges still
  prune on the arrival day ``dt``.

For DuckDB the rendered SQL is transpiled with sqlglot.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from seslog.eventlog.events import BY_API_NAME
from seslog.eventlog.message_ids import ATHENA_SEND_TIME
from seslog.eventlog.partitioning import ARRIVAL, EVENT_TYPE_COLUMN, SCHEMES, SENT, Scheme, strftime_pattern
from seslog.eventlog.schema import RECORD

QUERIES_DIR = Path(__file__).resolve().parent / "queries"
FRAGMENTS_DIR = QUERIES_DIR / "fragments"

LOOKAHEAD_DAYS = 3
"""How many days after sending the message queries look for its events. Deliveries, bounces and
delays end within 14 hours (SES ``MaxDeliverySeconds`` is at most 50,400); opens, clicks and
complaints later than this are not shown."""

ARRIVAL_SLACK_DAYS = 1
"""Days between an event's day and its object's ``dt``, either way (see the module docstring)."""

DIALECTS = ("athena", "duckdb")

_PARAMETER = re.compile(r"(?<![\w:]):([a-z_]+)\b")
_MACRO = re.compile(r"\{(\w+)(?:\(([^)]*)\))?\}")
_QUOTED = re.compile(r"('(?:[^']|'')*')")
_EVENT_TYPE = RECORD.field("eventType").column
_SELECT_LIST = "_columns"
"""Names the fragments that are select lists (``event_columns``) rather than expressions."""
_ALIAS = re.compile(r"\bAS\s+(\w+)\s*(?:,|$)", re.IGNORECASE)
"""A select list item's name: ``AS name`` at the end of the item."""


class QueryError(ValueError):
    """A query asked for with missing or malformed values, or a template that cannot render."""


@dataclass(frozen=True)
class Parameter:
    name: str
    description: str

    @property
    def is_date(self) -> bool:
        return self.name.endswith("_date")


@dataclass(frozen=True)
class RenderedQuery:
    name: str
    dialect: str
    sql: str
    placeholders: tuple[str, ...]
    """The parameter behind each ``?`` in order (Athena), or each ``$name`` used (DuckDB)."""

    def execution_parameters(self, values: Mapping[str, str]) -> list[str]:
        """Athena's ``ExecutionParameters``: the values in ``?`` order, as SQL string literals
        (Athena treats a value as a string only in single quotes)."""
        return [_literal(values[name]) for name in self.placeholders]

    def named_parameters(self, values: Mapping[str, str]) -> dict[str, str]:
        """DuckDB's named parameters."""
        return {name: values[name] for name in self.placeholders}


@dataclass(frozen=True)
class NamedQuery:
    name: str
    description: str
    parameters: tuple[Parameter, ...]
    template: str

    def check(self, values: Mapping[str, str]) -> dict[str, str]:
        """``values`` checked: every parameter present and nothing else, dates as yyyy-MM-dd,
        ``from_date`` not after ``to_date``. Raises ``QueryError`` listing every problem."""
        problems = []
        known = {p.name for p in self.parameters}
        missing = [p.name for p in self.parameters if not str(values.get(p.name) or "").strip()]
        if missing:
            problems.append(f"{self.name} needs {', '.join(missing)}")
        unknown = sorted(set(values) - known)
        if unknown:
            problems.append(f"{self.name} takes no {', '.join(unknown)}; its parameters: {', '.join(sorted(known))}")
        checked = {name: str(values[name]).strip() for name in known if name not in missing}
        bad_dates = [p.name for p in self.parameters if p.is_date and p.name in checked and not _is_day(checked[p.name])]
        problems += [f"{name} {checked[name]!r} is not a date yyyy-MM-dd" for name in bad_dates]
        first, last = checked.get("from_date"), checked.get("to_date")
        if first and last and not bad_dates and first > last:
            problems.append(f"from_date {first} is after to_date {last}")
        if problems:
            raise QueryError("; ".join(problems))
        return checked

    def render(self, scheme: Scheme | str, table: str, dialect: str = "athena") -> RenderedQuery:
        """The query for a table laid out in ``scheme``, in ``dialect`` (athena or duckdb)."""
        return _render(self, _scheme(scheme), table, dialect)

    def _render(self, scheme: Scheme, table: str, dialect: str) -> RenderedQuery:
        if dialect not in DIALECTS:
            raise QueryError(f"dialect {dialect!r} is none of {', '.join(DIALECTS)}")
        sql = _expand(self.template, scheme, table).strip()
        used = _outside_quotes(sql, _PARAMETER.findall)
        undeclared = sorted(set(used) - {p.name for p in self.parameters})
        if undeclared:
            raise QueryError(f"{self.name}: parameters {', '.join(undeclared)} are used but not declared in its header")
        if dialect == "duckdb":
            import sqlglot  # a tool dependency (requirements-dev.txt); the Pulumi program renders for Athena only

            return RenderedQuery(
                self.name, dialect, sqlglot.transpile(sql, read="trino", write="duckdb")[0], tuple(dict.fromkeys(used))
            )
        return RenderedQuery(self.name, dialect, _outside_quotes_sub(sql, _PARAMETER, "?"), tuple(used))

    def athena_description(self, scheme: Scheme | str, table: str) -> str:
        """The description saved with the named query: what it shows and what each ``?`` takes."""
        order = self.render(scheme, table).placeholders
        text = f"{self.description} Execution parameters, in order: {', '.join(order)} (quote each, e.g. '2024-05-01')."
        if "message_id" in order:
            # The console has no seslog to decode the ID: tell its user how to find the day to give.
            text += f" {ATHENA_SEND_TIME} From those days this table reads {message_reach(_scheme(scheme))}."
        return text


_RENDERED: dict[tuple[NamedQuery, str, str, str], RenderedQuery] = {}
"""The queries rendered for the product's schemes, worked out once: transpiling to DuckDB takes
sqlglot about 10 ms, and serve, mcp and why run the same queries again and again."""


def _render(query: NamedQuery, scheme: Scheme, table: str, dialect: str) -> RenderedQuery:
    if SCHEMES.get(scheme.name) is not scheme:  # a scheme of the caller's own (the benchmark's)
        return query._render(scheme, table, dialect)
    key = (query, scheme.name, table, dialect)
    if key not in _RENDERED:
        _RENDERED[key] = query._render(scheme, table, dialect)
    return _RENDERED[key]


def _scheme(scheme: Scheme | str) -> Scheme:
    if isinstance(scheme, Scheme):
        return scheme
    if scheme not in SCHEMES:
        raise QueryError(f"partitioning {scheme!r} is none of {', '.join(SCHEMES)}")
    return SCHEMES[scheme]


def message_reach(
    scheme: Scheme | str, first: date | None = None, last: date | None = None, *, stack_retention: bool = False
) -> str:
    """What the message queries (``{sent_partitions}``) read for the messages sent from ``first``
    to ``last``, in words: the partitions, and which of the messages' events they hold.
    ``stack_retention``: the scheme's ``late_days`` is not known here (a client without the
    stack's config), so the text names the config key that sets it."""
    scheme = _scheme(scheme)
    sent, arrival = scheme.key(SENT), scheme.key(ARRIVAL)

    def days(start: date | None, end: date | None, column: str) -> str:
        if start is None or end is None:
            return ""
        return f" {column}={start}" if start == end else f" {column}={start} to {end}"

    if sent is not None:
        late = "the stack's retentionDays" if stack_retention else f"{sent.late_days} days"
        return (
            f"the send days' partitions{days(first, last, sent.column)}, which hold every event of a message "
            f"up to {late} after sending, whenever it arrived"
        )
    if arrival is not None:
        shown = days(
            first and first - timedelta(days=ARRIVAL_SLACK_DAYS),
            last and last + timedelta(days=LOOKAHEAD_DAYS + ARRIVAL_SLACK_DAYS),
            arrival.column,
        )
        return (
            f"the arrival days{shown} from the day before sending to {LOOKAHEAD_DAYS + ARRIVAL_SLACK_DAYS} days after, "
            f"where a message's events arrive (opens and clicks later than that are not read)"
        )
    return f"every object: {scheme.name} partitioning has no partitions to narrow the read"


def message_arrival_days(scheme: Scheme | str, first: date, last: date) -> tuple[date, date] | None:
    """The arrival days the message queries (``{sent_partitions}``) read for messages sent from ``first`` to ``last``:
    None when they read every arrival (no arrival key to narrow by, or the send key, which files late events under
    their send day)."""
    scheme = _scheme(scheme)
    if scheme.key(SENT) is not None or scheme.key(ARRIVAL) is None:
        return None
    return first - timedelta(days=ARRIVAL_SLACK_DAYS), last + timedelta(days=LOOKAHEAD_DAYS + ARRIVAL_SLACK_DAYS)


def _is_day(value: str) -> bool:
    try:
        return re.fullmatch(r"\d{4}-\d{2}-\d{2}", value) is not None and bool(date.fromisoformat(value))
    except ValueError:
        return False


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _outside_quotes(sql: str, find: Callable[[str], list[str]]) -> list[str]:
    found: list[str] = []
    for i, part in enumerate(_QUOTED.split(sql)):
        if i % 2 == 0:
            found += find(part)
    return found


def _outside_quotes_sub(sql: str, pattern: re.Pattern[str], replacement: str) -> str:
    return "".join(part if i % 2 else pattern.sub(replacement, part) for i, part in enumerate(_QUOTED.split(sql)))


def _strip_comments(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("--"))


def _expand(text: str, scheme: Scheme, table: str) -> str:
    def macro(match: re.Match[str]) -> str:
        name, arguments = match.groups()
        if name == "table":
            return table
        if name == "sent_partitions":
            return _sent_range(scheme)
        if name == "event_partitions":
            return _day_range(scheme, ARRIVAL_SLACK_DAYS, ARRIVAL_SLACK_DAYS)
        if name == "send_event_partitions":
            return _send_event_range(scheme)
        if name == "event_types":
            return _event_types(scheme, [a.strip() for a in (arguments or "").split(",") if a.strip()])
        if name == "names" and arguments and arguments.strip().endswith(_SELECT_LIST):
            return ", ".join(_ALIAS.findall(_fragment(arguments.strip(), match)))
        if arguments is not None:
            raise QueryError(f"unknown template macro {match.group(0)}")
        body = _expand(_fragment(name, match), scheme, table)
        line_start = text.rfind("\n", 0, match.start()) + 1
        indent = re.match(r"\s*", text[line_start:]).group(0)
        body = body.replace("\n", "\n" + indent)
        # An expression is parenthesised so that it binds as one operand; a select list cannot be.
        return body if name.endswith(_SELECT_LIST) else "(" + body + ")"

    return _MACRO.sub(macro, text)


def _fragment(name: str, macro: re.Match[str]) -> str:
    """The text of ``queries/fragments/<name>.sql``, without its comments."""
    path = FRAGMENTS_DIR / f"{name}.sql"
    if not path.is_file():
        raise QueryError(f"unknown template macro {macro.group(0)}")
    return _strip_comments(path.read_text(encoding="utf-8")).strip()


def _shifted(day: str, days: int, pattern: str) -> str:
    # Trino's date_format takes MySQL specifiers, which for these fields are strftime's.
    return f"date_format(date_add('day', {days}, date({day})), '{pattern}')"


def _day_range(scheme: Scheme, before: int, after: int) -> str:
    """The arrival days (``dt``) from ``before`` days before ``:from_date`` to ``after`` after ``:to_date``."""
    key = scheme.key(ARRIVAL)
    if key is None:
        return "TRUE"
    pattern = strftime_pattern(key.projection["format"])
    return f"{key.column} BETWEEN {_shifted(':from_date', -before, pattern)} AND {_shifted(':to_date', after, pattern)}"


def _send_event_range(scheme: Scheme) -> str:
    """The partitions of the events that happen when a message is sent (Send, Reject, Rendering
    Failure) from ``:from_date`` to ``:to_date``: they arrive within the event days' slack, and
    under the send key they are also in those send days."""
    days = _day_range(scheme, ARRIVAL_SLACK_DAYS, ARRIVAL_SLACK_DAYS)
    sent = scheme.key(SENT)
    if sent is None:
        return days
    condition = f"{sent.column} BETWEEN :from_date AND :to_date"
    return condition if days == "TRUE" else f"{condition} AND {days}"


def _sent_range(scheme: Scheme) -> str:
    """The partitions of the messages sent from ``:from_date`` to ``:to_date``: their send days
    where the scheme has the send key (and arrival days from the day before the first, which
    spares Athena's projection the days before), else their arrival days around them."""
    sent = scheme.key(SENT)
    if sent is None:
        return _day_range(scheme, ARRIVAL_SLACK_DAYS, LOOKAHEAD_DAYS + ARRIVAL_SLACK_DAYS)
    condition = f"{sent.column} BETWEEN :from_date AND :to_date"
    arrival = scheme.key(ARRIVAL)
    if arrival is not None:
        condition += f" AND {arrival.column} >= {_shifted(':from_date', -ARRIVAL_SLACK_DAYS, strftime_pattern(arrival.projection['format']))}"
    return condition


def _event_types(scheme: Scheme, api_names: list[str]) -> str:
    unknown = [n for n in api_names if n not in BY_API_NAME]
    if not api_names or unknown:
        raise QueryError(f"event_types() takes SES v2 event type names ({', '.join(BY_API_NAME)}), got {api_names}")
    if EVENT_TYPE_COLUMN in scheme.columns:
        return f"{EVENT_TYPE_COLUMN} IN ({', '.join(map(_literal, api_names))})"
    return f"{_EVENT_TYPE} IN ({', '.join(_literal(BY_API_NAME[n].record_name) for n in api_names)})"


def load(path: Path) -> NamedQuery:
    """A named query from its template file; its name is the file's stem."""
    lines = path.read_text(encoding="utf-8").splitlines()
    header = []
    while lines and lines[0].startswith("--"):
        header.append(lines.pop(0)[2:].strip())
    if not header:
        raise QueryError(f"{path}: no '-- description' header")
    parameters = []
    for line in header[1:]:
        name, sep, description = line.partition(":")
        if not sep or not re.fullmatch(r"[a-z_]+", name.strip()):
            raise QueryError(f"{path}: header line {line!r} is not 'name: description'")
        parameters.append(Parameter(name.strip(), description.strip()))
    return NamedQuery(path.stem, header[0], tuple(parameters), "\n".join(lines))


QUERIES: dict[str, NamedQuery] = {q.name: q for q in map(load, sorted(QUERIES_DIR.glob("*.sql")))}
"""Every named query, by name."""
