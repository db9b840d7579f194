"""Chats: talk to a crew or a library agent; every message runs it once."""
