-- The addresses an event concerns: those its detail names, else every destination of the
-- message (Send, Reject, Rendering Failure; SES cannot tell who opened or clicked).
CASE eventtype
  WHEN 'Delivery' THEN delivery.recipients
  WHEN 'Bounce' THEN transform(bounce.bouncedrecipients, x -> x.emailaddress)
  WHEN 'Complaint' THEN transform(complaint.complainedrecipients, x -> x.emailaddress)
  WHEN 'DeliveryDelay' THEN transform(deliverydelay.delayedrecipients, x -> x.emailaddress)
  ELSE mail.destination
END
