"""Reward pieces that look at a model's reply: extraction, heuristics, render-grounded scores."""
