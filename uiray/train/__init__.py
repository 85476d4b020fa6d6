"""Training building blocks shared by SFT, DPO and GRPO: tokenization, packing, losses and metrics."""
