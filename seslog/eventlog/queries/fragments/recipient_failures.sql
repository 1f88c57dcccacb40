-- A derived table: one row per recipient of each Bounce and DeliveryDelay that happened on the days
-- :from_date to :to_date, with the recipient's own reply (its diagnostic code and DSN status).
SELECT
  lower({recipient_address}) AS recipient,
  split_part(lower({recipient_address}), '@', 2) AS domain,
  e.event_time,
  e.event_type,
  e.bounce_type,
  e.bounce_subtype,
  e.delay_type,
  element_at(e.diagnostics, u.n) AS diagnostic_code,
  element_at(e.statuses, u.n) AS status
FROM (
  SELECT
    {event_time} AS event_time,
    eventtype AS event_type,
    bounce.bouncetype AS bounce_type,
    bounce.bouncesubtype AS bounce_subtype,
    deliverydelay.delaytype AS delay_type,
    {event_recipients} AS recipients,
    {recipient_diagnostics} AS diagnostics,
    {recipient_statuses} AS statuses
  FROM {table}
  WHERE {event_types(BOUNCE, DELIVERY_DELAY)}
    AND {event_partitions}
) AS e
CROSS JOIN UNNEST(e.recipients) WITH ORDINALITY AS u (recipient, n)
WHERE substr(e.event_time, 1, 10) BETWEEN :from_date AND :to_date
