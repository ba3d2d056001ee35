"""Layer 5: the project (modules and names, the index, the cache)."""
