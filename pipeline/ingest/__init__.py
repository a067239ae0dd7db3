"""Stage 1: read AMQ error logs (text, JSON, flattened) and channel last-error exports into Parquet."""
