-- Latest status of every message sent in a date range: one row per message with how far it got (Delivery, Bounce, Complaint, DeliveryDelay still pending, Reject ...) and its opens and clicks.
-- from_date: first UTC day of sending, yyyy-MM-dd
-- to_date: last UTC day of sending, yyyy-MM-dd
SELECT
  e.message_id,
  e.sent_at,
  e.source,
  e.subject,
  e.recipients,
  max_by(e.event_type, e.outcome_key) AS status,
  max_by(e.detail, e.outcome_key) AS status_detail,
  count_if(e.event_type = 'Open') AS opens,
  count_if(e.event_type = 'Click') AS clicks
FROM (
  SELECT
    mail.messageid AS message_id,
    mail."timestamp" AS sent_at,
    mail.source AS source,
    mail.commonheaders.subject AS subject,
    array_join(mail.destination, ', ') AS recipients,
    eventtype AS event_type,
    {event_detail} AS detail,
    {outcome_key} AS outcome_key
  FROM {table}
  WHERE substr(mail."timestamp", 1, 10) BETWEEN :from_date AND :to_date
    AND {sent_partitions}
) AS e
GROUP BY e.message_id, e.sent_at, e.source, e.subject, e.recipients
ORDER BY e.sent_at, e.message_id
