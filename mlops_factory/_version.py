"""The installed version of mlops-factory."""

__version__ = "0.1.0"
