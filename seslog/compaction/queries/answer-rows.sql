-- Every event of the objects read, once for each recipient it concerns, with the facts that explain it: the rows recipient-events and message-events return, which the compacted tables hold, keyed (recipient_key, message_id) and filed by send day (sent).
SELECT
  {names(event_columns)},
  {recipient_address} AS recipient,
  element_at(e.diagnostics, u.n) AS diagnostic_code,
  element_at(e.statuses, u.n) AS status,
  lower({recipient_address}) AS recipient_key,
  substr(e.sent_at, 1, 10) AS sent
FROM (
  SELECT
    {event_columns},
    {event_recipients} AS recipients,
    {recipient_diagnostics} AS diagnostics,
    {recipient_statuses} AS statuses
  FROM {table}
) AS e
CROSS JOIN UNNEST(e.recipients) WITH ORDINALITY AS u (recipient, n)
