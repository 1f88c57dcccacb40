"""What lives where in the log bucket."""

import re
from datetime import datetime
from pathlib import PurePath

FIREHOSE_NAME = re.compile(r"-(\d{4}-\d{2}-\d{2})-(\d{2})-(\d{2})-(\d{2})-[0-9a-fA-F-]{36}\.")
"""The arrival time in the name Firehose gives an object: ``<stream>-<version>-YYYY-MM-DD-HH-MM-SS-<uuid>``."""


def arrival_time(key: PurePath | str) -> datetime | None:
    """When an object's oldest record reached Firehose (UTC, to the second), from the name Firehose gives it."""
    named = FIREHOSE_NAME.search(PurePath(key).name)
    if named is None:
        return None
    try:
        return datetime.fromisoformat(f"{named.group(1)}T{named.group(2)}:{named.group(3)}:{named.group(4)}+00:00")
    except ValueError:
        return None


DATA_PREFIX = "events/"
"""Event objects; the Glue table's location."""

ERROR_PREFIX = "errors/!{firehose:error-output-type}/dt=!{timestamp:yyyy-MM-dd}/"
"""Records Firehose could not deliver, convert or partition. The Firehose guide requires
``!{firehose:error-output-type}`` here and forbids partition keys."""

ATHENA_RESULTS_PREFIX = "athena-results/"
"""Athena query results, kept only briefly."""

FETCHED_DAYS = "seslog-fetched-days.json"
"""Beside ``events/`` in a local copy: the arrival days ``seslog download`` fetched, a JSON list of ``YYYY-MM-DD``. A day
listed with no object had none in the bucket; a day not listed was not fetched."""

COGNITO_PREFIX = "cognito/"
"""Cognito's message-delivery error log (seslog/cognito/log.py), from the stacks that name user pools; its Glue table's location."""

COGNITO_ERROR_PREFIX = "cognito-errors/!{firehose:error-output-type}/dt=!{timestamp:yyyy-MM-dd}/"
"""What the Cognito log's Firehose stream could not decompress or deliver."""

COMPACT_PREFIX = "compact/"
"""The event rows rewritten per arrival hour into tables shaped like the answers (seslog/eventlog/compaction.py)."""

CODE_PREFIX = "code/"
"""The compaction job's Lambda package, uploaded by the stack (over Lambda's 50 MB direct upload); Lambda copies it when
the function is created or updated, so the bucket's lifecycle expiring it later changes nothing."""
