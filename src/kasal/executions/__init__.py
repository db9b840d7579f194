"""Runs of crews: their state, their event log, and the dispatcher that drives them."""
