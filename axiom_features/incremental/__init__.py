"""Bar-based features carried forward one bar at a time, equal to the batch transform."""
