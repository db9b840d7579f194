"""Knowledge bases: a group's documents, chunked and embedded for agents to search."""
