"""Layer 7: the front ends (the flake8 plugin, the CLI, SARIF output)."""
