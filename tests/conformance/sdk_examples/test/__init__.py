"""Integration tests for AWS Durable Functions Python Examples."""
