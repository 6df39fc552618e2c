"""dca: an archival crawler for defense and foreign-policy commentary."""

__version__ = "0.1.0"
