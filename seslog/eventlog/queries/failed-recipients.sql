-- Every recipient at some domains whose mail bounced or was delayed on the days of a range, once per reply the receiving side gave: what seslog why counts the others at the same provider from.
-- domains: recipient domains, comma-separated, any case, e.g. gmail.com,googlemail.com
-- from_date: first UTC day the bounces and delays happened, yyyy-MM-dd
-- to_date: last UTC day the bounces and delays happened, yyyy-MM-dd
SELECT
  f.recipient,
  f.event_type,
  f.bounce_type,
  f.bounce_subtype,
  f.delay_type,
  f.diagnostic_code,
  f.status,
  count(*) AS events,
  max(f.event_time) AS last_time
FROM (
  SELECT
    lower(u.recipient) AS recipient,
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
  WHERE contains(split(lower(:domains), ','), split_part(lower(u.recipient), '@', 2))
    AND substr(e.event_time, 1, 10) BETWEEN :from_date AND :to_date
) AS f
GROUP BY f.recipient, f.event_type, f.bounce_type, f.bounce_subtype, f.delay_type, f.diagnostic_code, f.status
ORDER BY f.recipient, last_time
