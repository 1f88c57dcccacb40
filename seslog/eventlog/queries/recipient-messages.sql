-- Every message sent to one address in a date range, with how far it got for that address (Delivery, Bounce, Complaint, DeliveryDelay still pending, Reject ...) and how often it was opened and clicked: counted only for a message sent to that address alone (an Open or Click names no recipient), else empty.
-- address: the recipient's email address, any case, e.g. taro@example.jp
-- from_date: first UTC day of sending, yyyy-MM-dd
-- to_date: last UTC day of sending, yyyy-MM-dd
SELECT
  e.message_id,
  e.sent_at,
  e.subject,
  max_by(e.event_type, e.outcome_key) AS status,
  max_by(e.detail, e.outcome_key) AS status_detail,
  CASE WHEN max(e.destinations) = 1 THEN count_if(e.event_type = 'Open') END AS opens,
  CASE WHEN max(e.destinations) = 1 THEN count_if(e.event_type = 'Click') END AS clicks
FROM (
  SELECT
    mail.messageid AS message_id,
    mail."timestamp" AS sent_at,
    cardinality(mail.destination) AS destinations,
    mail.commonheaders.subject AS subject,
    eventtype AS event_type,
    {event_detail} AS detail,
    {outcome_key} AS outcome_key,
    {event_recipients} AS recipients
  FROM {table}
  WHERE substr(mail."timestamp", 1, 10) BETWEEN :from_date AND :to_date
    AND {sent_partitions}
) AS e
CROSS JOIN UNNEST(e.recipients) AS u (recipient)
WHERE lower({recipient_address}) = lower(:address)
GROUP BY e.message_id, e.sent_at, e.subject
ORDER BY e.sent_at, e.message_id
