"""Webhooks: signed POSTs to another system when a run reaches a state it listens for."""
