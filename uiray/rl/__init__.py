"""GRPO on Ray: rollout actors (vLLM), reward actors (Chromium), a learner group; see algo.py for the maths."""
