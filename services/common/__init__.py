"""What both scenarios share: the workflow log (progress.py), people's decisions (people.py), the reply channel
(reply_to.py), one workflow per id (one_workflow.py), the notifier, the variants' names, and the composition
root (bootstrap.py) that wires every side effect."""
