-- Orders the events that tell how far a message got (all but Open, Click and Subscription)
-- by time, a Send before another event at the same time (a Reject has the send time).
CASE
  WHEN eventtype IN ('Open', 'Click', 'Subscription') THEN NULL
  ELSE {event_time} || CASE WHEN eventtype = 'Send' THEN '0' ELSE '1' END
END
