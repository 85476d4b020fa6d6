"""uiray: Ray-native post-training for models that write user interfaces.

Importing this package is cheap on purpose: no torch, vllm, ray or playwright is imported here.
Heavy modules are imported inside the functions that need them.
"""

__version__ = "0.1.0"
