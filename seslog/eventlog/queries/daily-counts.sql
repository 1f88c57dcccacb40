-- Health overview: events per UTC day and event type.
-- from_date: first UTC day, yyyy-MM-dd
-- to_date: last UTC day, yyyy-MM-dd
SELECT
  substr(e.event_time, 1, 10) AS day,
  e.event_type,
  count(*) AS events
FROM (
  SELECT {event_time} AS event_time, eventtype AS event_type
  FROM {table}
  WHERE {event_partitions}
) AS e
WHERE substr(e.event_time, 1, 10) BETWEEN :from_date AND :to_date
GROUP BY substr(e.event_time, 1, 10), e.event_type
ORDER BY day, e.event_type
