"""Triggers: a secret URL another system calls to start a run of a crew."""
