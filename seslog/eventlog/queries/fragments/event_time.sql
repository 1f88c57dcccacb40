-- When the event happened: its detail's timestamp, or the send time for Send, Reject and
-- Rendering Failure, whose details have none. ISO 8601 strings, which sort in time order.
coalesce(
  delivery."timestamp", bounce."timestamp", complaint."timestamp", deliverydelay."timestamp",
  "open"."timestamp", click."timestamp", subscription."timestamp", mail."timestamp"
)
