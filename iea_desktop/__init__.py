"""IEA Desktop: a non-destructive photo editor with a local assistant."""

__version__ = "0.1.0"
