"""Developer commands of the lead_tracking project (test, demo, data, bench)."""
