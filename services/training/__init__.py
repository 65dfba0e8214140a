"""The training request's steps as plain Lambda handlers and as functions the durable flows call in steps:
upload (starts a workflow), intake, screening, HR review, enrollment saga, results. Side effects go through
services/common/bootstrap.py."""
