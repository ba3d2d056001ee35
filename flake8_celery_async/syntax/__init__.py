"""Layer 1: source text and syntax trees (node helpers, decoding, noqa comments, parse errors)."""
