"""Pulumi components of the SES event log pipeline; SesEventLogPipeline composes the rest."""
