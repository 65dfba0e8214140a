"""The CDK app that deploys duoflow to AWS: every function of the catalog, every state machine, the API.

infra/app.py is the entry point (cdk.json); infra/stack.py composes one construct per concern; catalog/outputs.py
names what a deployed stack reports (read by ``duoflow bench --target aws``); infra/synth.py synthesizes in
process. Nothing here calls AWS at synth time.
"""
