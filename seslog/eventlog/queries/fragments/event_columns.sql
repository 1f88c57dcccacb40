-- What seslog why reads a verdict from: one column per fact an event can carry, null where the
-- event type has none. A select list, inlined as it is (fragments named *_columns are). The
-- recipient's own reply (diagnostic_code, status) is taken beside the recipient, after the unnest.
mail.messageid AS message_id,
mail."timestamp" AS sent_at,
mail.source AS sender,
mail.commonheaders.subject AS subject,
cardinality(mail.destination) AS destinations,
{event_time} AS event_time,
eventtype AS event_type,
bounce.bouncetype AS bounce_type,
bounce.bouncesubtype AS bounce_subtype,
coalesce(delivery.reportingmta, bounce.reportingmta, deliverydelay.reportingmta) AS reporting_mta,
coalesce(delivery.remotemtaip, bounce.remotemtaip) AS remote_mta_ip,
delivery.smtpresponse AS smtp_response,
delivery.processingtimemillis AS processing_time_ms,
deliverydelay.delaytype AS delay_type,
deliverydelay.expirationtime AS expiration_time,
coalesce(complaint.complaintfeedbacktype, complaint.complaintsubtype) AS complaint_type,
reject.reason AS reject_reason,
failure.templatename AS template_name,
failure.errormessage AS template_error
