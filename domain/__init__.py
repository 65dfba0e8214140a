"""Pure business rules and typed models, shared by every variant. No boto3, no I/O."""
