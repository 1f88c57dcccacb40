-- One line of what the event says: the SMTP response and the receiving server's address, bounce type/subtype and diagnostic
-- code, delay type with its diagnostic code and when SES gives up (expirationTime),
-- complaint feedback type, reject reason, rendering error, the opener's address and browser,
-- the clicked link, the subscription change.
CASE eventtype
  WHEN 'Delivery' THEN delivery.smtpresponse || coalesce(' (receiving server ' || delivery.remotemtaip || ')', '')
  WHEN 'Bounce' THEN bounce.bouncetype || '/' || bounce.bouncesubtype || ': '
    || array_join(transform(bounce.bouncedrecipients, x -> x.diagnosticcode), '; ')
  WHEN 'DeliveryDelay' THEN deliverydelay.delaytype || ': '
    || array_join(transform(deliverydelay.delayedrecipients, x -> x.diagnosticcode), '; ')
    || coalesce(' (SES gives up at ' || deliverydelay.expirationtime || ')', '')
  WHEN 'Complaint' THEN coalesce(complaint.complaintfeedbacktype, complaint.complaintsubtype, 'no feedback report')
  WHEN 'Reject' THEN reject.reason
  WHEN 'Rendering Failure' THEN failure.templatename || ': ' || failure.errormessage
  WHEN 'Open' THEN "open".ipaddress || ' ' || "open".useragent
  WHEN 'Click' THEN click.link
  WHEN 'Subscription' THEN subscription.contactlist || ' via ' || subscription.source
END
