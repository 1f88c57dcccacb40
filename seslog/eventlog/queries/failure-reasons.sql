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
FROM {recipient_failures} AS f
GROUP BY f.domain, f.event_type, f.bounce_type, f.bounce_subtype, f.delay_type, f.diagnostic_code, f.status
ORDER BY events DESC, f.domain, f.diagnostic_code
