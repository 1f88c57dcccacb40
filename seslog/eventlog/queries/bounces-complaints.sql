-- Bounces and complaints for one address or a whole recipient domain, by the UTC day they happened.
-- recipient: an address (taro@example.jp) or a domain (example.jp), any case
-- from_date: first UTC day, yyyy-MM-dd
-- to_date: last UTC day, yyyy-MM-dd
SELECT
  e.event_time,
  e.event_type,
  {recipient_address} AS recipient,
  e.message_id,
  e.subject,
  e.detail
FROM (
  SELECT
    {event_time} AS event_time,
    eventtype AS event_type,
    mail.messageid AS message_id,
    mail.commonheaders.subject AS subject,
    {event_detail} AS detail,
    {event_recipients} AS recipients
  FROM {table}
  WHERE {event_types(BOUNCE, COMPLAINT)}
    AND {event_partitions}
) AS e
CROSS JOIN UNNEST(e.recipients) AS u (recipient)
WHERE lower(:recipient) IN (lower({recipient_address}), split_part(lower({recipient_address}), '@', 2))
  AND substr(e.event_time, 1, 10) BETWEEN :from_date AND :to_date
ORDER BY e.event_time, e.message_id, {recipient_address}
