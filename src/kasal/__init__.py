"""Kasal: design, run and watch teams of AI agents."""

__version__ = "0.1.0"
