"""Layer 4: the per-file analysis (the walk, the module summary the index keeps)."""
