"""Prompt templates: shipped defaults, and each group's own edits of them."""
