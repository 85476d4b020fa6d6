"""Render untrusted generated pages in a sandboxed Chromium and look at them."""
