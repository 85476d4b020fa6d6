"""What a page is, below everything that renders, scores, generates or trains on pages: extracting it from a
reply, its text heuristics (completeness, repetition, length) and the checklist schema. Imports nothing of uiray
but config."""
