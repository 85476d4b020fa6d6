"""`uiray serve`: the model behind Ray Serve LLM's OpenAI-compatible server, with a preview and a playground."""
