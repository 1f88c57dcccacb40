"""The named investigation queries: SQL templates in ``seslog/eventlog/queries/*.sql``, rendered per scheme.

One template serves every partitioning scheme and both engines. Templates are written in
Athena's dialect (Trino) and hold, besides SQL:

- a header: ``-- <description>``, then one ``-- <parameter>: <description>`` line per parameter;
- ``:name`` where a parameter's value goes. For Athena it becomes a ``?`` execution parameter
  (positional, allowed only in WHERE clauses: Athena guide, "Use parameterized queries"), so a
  name used twice takes its value twice; for DuckDB a named ``$name`` parameter. Values are
  never formatted into the SQL;
- ``{table}``, the Glue table;
- ``{event_time}``, ``{event_recipients}``, ``{event_detail}``, ``{outcome_key}``: the SQL
  expressions in ``queries/fragments/``, and ``{event_columns}``, a select list there;
- ``{sent_partitions}``, ``{event_partitions}``, ``{event_types(API_NAME, ...)}``: predicates on
  the scheme's partition columns, so that every query prunes partitions. ``dt`` is the day the
  object's oldest record reached Firehose, which can be the day before an event (a buffer
  opened before midnight) or the day after (the event came just before midnight): event-day
  ranges widen by a day either way, and a message's events are looked for from the day
  before it was sent to ``LOOKAHEAD_DAYS`` after. Under the ``none`` scheme they are ``TRUE``:
  there is nothing to prune.

For DuckDB the rendered SQL is transpiled with sqlglot.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from seslog.eventlog.events import BY_API_NAME
from seslog.eventlog.partitioning import EVENT_TYPE_COLUMN, SCHEMES, Scheme, strftime_pattern
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
        if isinstance(scheme, str):
            if scheme not in SCHEMES:
                raise QueryError(f"partitioning {scheme!r} is none of {', '.join(SCHEMES)}")
            scheme = SCHEMES[scheme]
        if dialect not in DIALECTS:
            raise QueryError(f"dialect {dialect!r} is none of {', '.join(DIALECTS)}")
        sql = _expand(self.template, scheme, table).strip()
        used = _outside_quotes(sql, _PARAMETER.findall)
        undeclared = sorted(set(used) - {p.name for p in self.parameters})
        if undeclared:
            raise QueryError(f"{self.name}: parameters {', '.join(undeclared)} are used but not declared in its header")
        if dialect == "duckdb":
            import sqlglot  # a tool dependency (requirements-dev.txt); the Pulumi program renders for Athena only

            return RenderedQuery(self.name, dialect, sqlglot.transpile(sql, read="trino", write="duckdb")[0], tuple(dict.fromkeys(used)))
        return RenderedQuery(self.name, dialect, _outside_quotes_sub(sql, _PARAMETER, "?"), tuple(used))

    def athena_description(self, scheme: Scheme | str, table: str) -> str:
        """The description saved with the named query: what it shows and what each ``?`` takes."""
        order = self.render(scheme, table).placeholders
        return f"{self.description} Execution parameters, in order: {', '.join(order)} (quote each, e.g. '2024-05-01')."


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
            return _day_range(scheme, ARRIVAL_SLACK_DAYS, LOOKAHEAD_DAYS + ARRIVAL_SLACK_DAYS)
        if name == "event_partitions":
            return _day_range(scheme, ARRIVAL_SLACK_DAYS, ARRIVAL_SLACK_DAYS)
        if name == "event_types":
            return _event_types(scheme, [a.strip() for a in (arguments or "").split(",") if a.strip()])
        fragment = FRAGMENTS_DIR / f"{name}.sql"
        if arguments is not None or not fragment.is_file():
            raise QueryError(f"unknown template macro {match.group(0)}")
        body = _expand(_strip_comments(fragment.read_text(encoding="utf-8")).strip(), scheme, table)
        line_start = text.rfind("\n", 0, match.start()) + 1
        indent = re.match(r"\s*", text[line_start:]).group(0)
        body = body.replace("\n", "\n" + indent)
        # An expression is parenthesised so that it binds as one operand; a select list cannot be.
        return body if name.endswith(_SELECT_LIST) else "(" + body + ")"

    return _MACRO.sub(macro, text)


def _day_range(scheme: Scheme, before: int, after: int) -> str:
    key = next((k for k in scheme.keys if k.projection.get("type") == "date"), None)
    if key is None:
        return "TRUE"
    # Trino's date_format takes MySQL specifiers, which for these fields are strftime's.
    pattern = strftime_pattern(key.projection["format"])
    return (
        f"{key.column} BETWEEN date_format(date_add('day', -{before}, date(:from_date)), '{pattern}')"
        f" AND date_format(date_add('day', {after}, date(:to_date)), '{pattern}')"
    )


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
