"""Shared pytest fixtures, registered as a plugin by tests/conftest.py."""
