"""The fleet: a planner on the one-minute schedule leases the connections due and sends
them to SQS (urgent: hot and warm; normal: calm); a worker checks each batch with the
monitor's own per-connection check. One process, the in-process tick, still does both at
once (watch/monitor.py); this package only splits the work across invocations."""
