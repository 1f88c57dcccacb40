-- Each recipient's diagnostic code (the receiving side's reply), in the order of {event_recipients}:
-- a Bounce or DeliveryDelay names each recipient with a reply of its own.
CASE eventtype
  WHEN 'Bounce' THEN transform(bounce.bouncedrecipients, x -> x.diagnosticcode)
  WHEN 'DeliveryDelay' THEN transform(deliverydelay.delayedrecipients, x -> x.diagnosticcode)
END
