"""codesearch: semantic code search for software repositories."""

__version__ = "0.1.0"
