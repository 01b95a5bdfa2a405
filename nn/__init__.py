"""glassgrad.nn (in progress)."""
