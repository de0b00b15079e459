"""pynamodb settings for the benchmark only (PYNAMODB_CONFIG points here): moto serialises a
1 MB scan page of 100,000 units in tens of seconds, past pynamodb's 30-second read timeout.
The deployed functions keep pynamodb's defaults."""

read_timeout_seconds = 900
