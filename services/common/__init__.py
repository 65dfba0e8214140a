"""Side effects behind small interfaces (progress log, approvals inbox, notifier, credit bureaus), each with
an AWS adapter and an in-memory one, wired in one place: bootstrap.py."""
