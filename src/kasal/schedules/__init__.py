"""Schedules: a crew run on a cron expression in a time zone, each fire exactly once."""
