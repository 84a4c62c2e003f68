"""Watch rules and alerts: alerts.yaml (config), matching (match), the outbox queued with each stored
article (outbox), message formats (render), channels (channels) and the sender with retries (deliver)."""

from pipeline.alerts.config import AlertsFile, load_alerts
from pipeline.alerts.outbox import AlertQueue

__all__ = ["AlertQueue", "AlertsFile", "load_alerts"]
