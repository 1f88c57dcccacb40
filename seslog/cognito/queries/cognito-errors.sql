-- Cognito's message-delivery errors (the user pools' userNotification ERROR log) logged on the days of a range, newest first: what seslog why shows beside the SES events.
-- from_date: first UTC day the errors were logged, yyyy-MM-dd
-- to_date: last UTC day the errors were logged, yyyy-MM-dd
SELECT
  e."timestamp" AS log_time,
  json_extract_scalar(e.message, '$.eventTimestamp') AS event_timestamp,
  json_extract_scalar(e.message, '$.logSourceId.userPoolId') AS user_pool_id,
  json_extract_scalar(e.message, '$.eventSource') AS event_source,
  json_extract_scalar(e.message, '$.logLevel') AS log_level,
  coalesce(json_extract_scalar(e.message, '$.message.details'), json_format(json_extract(e.message, '$.message'))) AS details,
  e.message AS record
FROM {table}
CROSS JOIN UNNEST(logevents) AS t(e)
WHERE {event_partitions}
  AND messagetype = 'DATA_MESSAGE'
ORDER BY e."timestamp" DESC
