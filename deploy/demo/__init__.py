"""`make demo`: a demo portfolio sent to a running platform through its public APIs (fill.py), and
what it builds (portfolio.py). A tool beside the portal, not part of it."""
