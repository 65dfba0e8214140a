"""The conformance tier runs the durable SDK's example tests in their own pytest process (test_sdk_examples.py);
the suite itself must not collect them: they import ``src`` and ``test`` from their own directory."""

collect_ignore = ["sdk_examples"]
