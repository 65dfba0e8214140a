"""AWS Durable Functions Python Examples."""

__version__ = "0.1.0"
