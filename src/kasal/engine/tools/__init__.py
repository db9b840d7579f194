"""Built-in tools. `catalog` is crewai-free (the API lists it); the rest imports crewai."""
