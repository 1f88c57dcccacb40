-- Every event of one message, once for each recipient it concerns, with the facts that explain each (bounce type, the recipient's diagnostic code and status, SMTP response, delay type and expiry, complaint type, reject reason, rendering error): what seslog why reads its verdicts from.
-- message_id: the SES message ID (mail.messageId, returned by SendEmail), e.g. 0100018f2a3b4c5d-1a2b3c4d-0000-4000-8000-000000000000-000000
-- from_date: first UTC day the message may have been sent, yyyy-MM-dd
-- to_date: last UTC day the message may have been sent, yyyy-MM-dd
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
  WHERE mail.messageid = :message_id
    AND substr(mail."timestamp", 1, 10) BETWEEN :from_date AND :to_date
    AND {sent_partitions}
) AS e
CROSS JOIN UNNEST(e.recipients) WITH ORDINALITY AS u (recipient, n)
ORDER BY lower({recipient_address}), event_time, CASE WHEN event_type = 'Send' THEN 0 ELSE 1 END
