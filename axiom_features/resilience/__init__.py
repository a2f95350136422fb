"""Operating truthfully under faults: one-line errors, bounded retries, process liveness,
job locks and service URL checks. Imports nothing else of the platform."""
