-- The address of u.recipient, an address a query unnested: a destination may be given with a display name
-- ("Jane" <jane@example.com>, as SendEmail takes it), whose address is between the angle brackets.
CASE WHEN strpos(u.recipient, '<') > 0 THEN regexp_extract(u.recipient, '<([^<>]*)>', 1) ELSE u.recipient END
