"""cloudmap: cloud security map."""
__version__ = "0.1.0"
