"""What a duoflow deployment holds, declared once: the Lambda functions (functions.py, shaped by specs.py), the
tables, topics and buckets (resources.py), the state machines and what fills their placeholders
(state_machines.py), and the names a deployed stack reports (outputs.py); deployment.py reads them as lists.

The local runtime (duoflow/) and the CDK app (infra/) both import this package, and it imports neither of them,
so a function, table or state machine cannot exist in one and not the other.
"""
