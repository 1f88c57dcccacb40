"""What a receiving server's reply means: the reason (in the field's vocabulary), the provider, and who must act."""

from seslog.diagnosis.classify import Diagnosis, Failure, diagnose

__all__ = ["Diagnosis", "Failure", "diagnose"]
