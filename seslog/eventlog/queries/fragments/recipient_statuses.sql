-- Each recipient's DSN status (5.1.1), in the order of {event_recipients}.
CASE eventtype
  WHEN 'Bounce' THEN transform(bounce.bouncedrecipients, x -> x.status)
  WHEN 'DeliveryDelay' THEN transform(deliverydelay.delayedrecipients, x -> x.status)
END
