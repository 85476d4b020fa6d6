"""Data stage: corpus formats, validation, dedup, scoring, selection and preference pairs."""
