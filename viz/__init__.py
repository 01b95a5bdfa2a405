"""glassgrad.viz (in progress)."""
