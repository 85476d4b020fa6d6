"""Human preferences: labeling tasks, a ranking page with perturbation-checked labelers, exports for DPO."""
