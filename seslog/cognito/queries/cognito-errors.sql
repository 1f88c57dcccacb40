-- Cognito's message-delivery errors (the user pools' userNotification ERROR log) logged on the days of a range, newest first: what seslog why shows beside the SES events (record: Cognito's whole record, for what the other columns leave out; try(): a record that is not JSON still shows).
-- from_date: first UTC day the errors were logged, yyyy-MM-dd
-- to_date: last UTC day the errors were logged, yyyy-MM-dd
SELECT
  e."timestamp" AS log_time,
  try(json_extract_scalar(e.message, '$.logSourceId.userPoolId')) AS user_pool_id,
  try(json_extract_scalar(e.message, '$.message.details')) AS details,
  e.message AS record
FROM {table}
CROSS JOIN UNNEST(logevents) AS t(e)
WHERE {event_partitions}
  AND messagetype = 'DATA_MESSAGE'
ORDER BY e."timestamp" DESC
