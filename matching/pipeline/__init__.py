"""The export-contract pipeline: meeting outcomes, deals and their history, exchange rates,
follow-ups, and the reports built on them. Mounted at /pipeline/ and under /api/v1/."""
