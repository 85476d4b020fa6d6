"""`uiray eval`: measure models (or given replies) on held-out UI prompts; see run.py."""
