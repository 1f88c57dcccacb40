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
FROM {recipient_failures} AS f
WHERE contains(split(lower(:domains), ','), f.domain)
GROUP BY f.recipient, f.event_type, f.bounce_type, f.bounce_subtype, f.delay_type, f.diagnostic_code, f.status
ORDER BY f.recipient, last_time
