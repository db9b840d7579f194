"""The model catalog: which LLMs a group may use, and how a run reaches them."""
