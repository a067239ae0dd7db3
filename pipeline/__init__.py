"""mqtriage: turn IBM MQ error logs into answers about why channels fail.

Stages, each a subpackage reading the previous stage's Parquet and writing its own:
ingest -> classify (rules, then model) -> timeline -> report.  ``preflight`` predicts
failures from definitions and certificates before they happen.
"""

__version__ = "0.1.0"
