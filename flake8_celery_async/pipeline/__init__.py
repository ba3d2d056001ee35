"""Layer 6: the check pipeline (text check, parse, analysis, noqa, cached findings)."""
