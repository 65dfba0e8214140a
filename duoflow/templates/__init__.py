"""SAM and CloudFormation templates on the local runtime (`duoflow up TEMPLATE`).

loader.py reads a template (YAML with the short-form tags, or JSON) into plain data; intrinsics.py resolves
``Ref``, ``Fn::GetAtt``, ``Fn::Sub`` and the other functions; template.py resolves parameters and Globals and gives
every resource its local name and ARN; plan.py turns the template into what the runtime can run (functions, state
machines, tables, topics, queues, buckets, API routes, upload rules) and lists what it cannot; requirements.py
installs a function's requirements.txt as `sam build` would; deploy.py creates the plan on a started runtime;
api.py serves the template's API routes; up.py runs it all for `duoflow up`. Each refusal is a ``TemplateError``
naming the resource and the property.
"""

from duoflow.templates.errors import TemplateError

__all__ = ["TemplateError"]
