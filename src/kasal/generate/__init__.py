"""A crew from a sentence: a model (or the offline designer) drafts it, Kasal checks and saves."""
