-- Rejects (virus found), rendering failures (template data missing) and delivery delays, by the UTC day they happened.
-- from_date: first UTC day, yyyy-MM-dd
-- to_date: last UTC day, yyyy-MM-dd
SELECT
  e.event_time,
  e.event_type,
  e.message_id,
  e.source,
  e.subject,
  array_join(e.recipients, ', ') AS recipients,
  e.detail
FROM (
  SELECT
    {event_time} AS event_time,
    eventtype AS event_type,
    mail.messageid AS message_id,
    mail.source AS source,
    mail.commonheaders.subject AS subject,
    {event_recipients} AS recipients,
    {event_detail} AS detail
  FROM {table}
  WHERE {event_types(REJECT, RENDERING_FAILURE, DELIVERY_DELAY)}
    AND {event_partitions}
) AS e
WHERE substr(e.event_time, 1, 10) BETWEEN :from_date AND :to_date
ORDER BY e.event_time, e.message_id
