-- Every event that concerns one address, of the messages sent to it in a date range, with the facts that explain each (bounce type, the recipient's diagnostic code and status, SMTP response, delay type and expiry, complaint type, reject reason, rendering error): what seslog why reads its verdicts from.
-- address: the recipient's email address, any case, e.g. taro@example.jp
-- from_date: first UTC day of sending, yyyy-MM-dd
-- to_date: last UTC day of sending, yyyy-MM-dd
SELECT
  {names(event_columns)},
  {recipient_address} AS recipient,
  element_at(e.diagnostics, u.n) AS diagnostic_code,
  element_at(e.statuses, u.n) AS status
FROM (
  -- Filtered and taken before the unnest: DuckDB pushes neither the partition predicate nor the
  -- struct fields through it, and would read every object and every field of the structs.
  SELECT
    {event_columns},
    {event_recipients} AS recipients,
    {recipient_diagnostics} AS diagnostics,
    {recipient_statuses} AS statuses
  FROM {table}
  WHERE substr(mail."timestamp", 1, 10) BETWEEN :from_date AND :to_date
    AND {sent_partitions}
) AS e
CROSS JOIN UNNEST(e.recipients) WITH ORDINALITY AS u (recipient, n)
WHERE lower({recipient_address}) = lower(:address)
ORDER BY sent_at, message_id, event_time, CASE WHEN event_type = 'Send' THEN 0 ELSE 1 END
