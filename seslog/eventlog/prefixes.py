"""What lives where in the log bucket."""

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
