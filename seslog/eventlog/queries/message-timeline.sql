-- Timeline of one message: every event SES published for it, in time order, with what each says (SMTP response, bounce type and diagnostic code, delay type and expiry, complaint type, reject reason, rendering error).
-- message_id: the SES message ID (mail.messageId, returned by SendEmail), e.g. 0100018f2a3b4c5d-1a2b3c4d-0000-4000-8000-000000000000-000000
-- from_date: first UTC day the message may have been sent, yyyy-MM-dd
-- to_date: last UTC day the message may have been sent, yyyy-MM-dd
SELECT
  {event_time} AS event_time,
  eventtype AS event_type,
  array_join({event_recipients}, ', ') AS recipients,
  {event_detail} AS detail
FROM {table}
WHERE mail.messageid = :message_id
  AND substr(mail."timestamp", 1, 10) BETWEEN :from_date AND :to_date
  AND {sent_partitions}
ORDER BY event_time, CASE WHEN eventtype = 'Send' THEN 0 ELSE 1 END
