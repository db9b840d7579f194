"""Runs traced to MLflow: a group opts in, and each finished run is exported once."""
