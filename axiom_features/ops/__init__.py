"""What an operator reads: health, SLA, cost, usage, the monitoring pass and the dashboard."""
