-- Bounces and delivery delays on the days of a range, by recipient domain and the reply the receiving side gave: what seslog stats reads the failures by reason and provider from.
-- from_date: first UTC day the bounces and delays happened, yyyy-MM-dd
-- to_date: last UTC day the bounces and delays happened, yyyy-MM-dd
SELECT
  f.domain,
  f.event_type,
  f.bounce_type,
  f.bounce_subtype,
  f.delay_type,
  f.diagnostic_code,
  f.status,
  count(*) AS events,
  count(DISTINCT f.recipient) AS recipients
FROM (
  SELECT
    lower(u.recipient) AS recipient,
    split_part(lower(u.recipient), '@', 2) AS domain,
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
) AS f
GROUP BY f.domain, f.event_type, f.bounce_type, f.bounce_subtype, f.delay_type, f.diagnostic_code, f.status
ORDER BY events DESC, f.domain, f.diagnostic_code
