"""Electronic certificates of origin: the data set, the forms, validation (and, later,
issue, signature, lifecycle, print and verification; plan: docs/plans/issue-5)."""
