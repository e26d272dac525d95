"""De-identification: Presidio analyzer + anonymizer with chartsift's clinical recognizers."""

from transforms.deid.engine import DEID_VERSION, Deidentifier, DeidError, DeidPolicy, DeidResult

__all__ = ["DEID_VERSION", "DeidError", "DeidPolicy", "Deidentifier", "DeidResult"]
