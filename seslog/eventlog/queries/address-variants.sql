-- Addresses that differ from one address only by a plus-label (taro+news@example.jp for taro@example.jp, or the reverse), with the messages sent to each in a date range: where to look when an address finds nothing.
-- address: the email address that found nothing, any case, e.g. taro+news@example.jp
-- from_date: first UTC day of sending, yyyy-MM-dd
-- to_date: last UTC day of sending, yyyy-MM-dd
SELECT lower({recipient_address}) AS address, count(DISTINCT e.message_id) AS messages
FROM (
  SELECT mail.messageid AS message_id, mail.destination AS destination
  FROM {table}
  WHERE {event_types(SEND)}
    AND substr(mail."timestamp", 1, 10) BETWEEN :from_date AND :to_date
    AND {send_event_partitions}
) AS e
CROSS JOIN UNNEST(e.destination) AS u (recipient)
WHERE regexp_replace(lower({recipient_address}), '\+[^@]*@', '@') = regexp_replace(lower(:address), '\+[^@]*@', '@')
  AND lower({recipient_address}) <> lower(:address)
GROUP BY lower({recipient_address})
ORDER BY messages DESC, address
