"""The stack and its constructs, split by concern (read by app.py)."""
