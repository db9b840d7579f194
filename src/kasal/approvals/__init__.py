"""Pauses of runs for a person: the pending questions of a group, and their answers."""
