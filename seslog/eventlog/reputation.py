"""The account-level rates at which SES reviews an account (SES guide, "Sending review process FAQs"):
a bounce rate of 5% and a complaint rate of 0.1%. The alarms' defaults and seslog's charts use them."""

BOUNCE_REVIEW_RATE = 0.05
COMPLAINT_REVIEW_RATE = 0.001
