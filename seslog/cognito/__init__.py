"""Cognito user pools' mail: their set-up checked (check.py), their message-delivery error log read (log.py)."""
