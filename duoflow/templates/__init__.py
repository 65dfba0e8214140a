"""SAM and CloudFormation templates on the local runtime (`duoflow up TEMPLATE`).

loader.py reads a template (YAML with the short-form tags, or JSON) into plain data; intrinsics.py resolves
``Ref``, ``Fn::GetAtt``, ``Fn::Sub`` and the other functions against what is deployed; plan.py turns the template
into what the runtime can run (functions, state machines, tables, topics, queues, buckets, API routes) and lists
what it cannot; deploy.py creates it on a started runtime; requirements.py installs a function's requirements.txt
as `sam build` would; api.py serves the template's API routes. Each refusal is a ``TemplateError`` naming the
resource and the property.
"""

from duoflow.templates.errors import TemplateError

__all__ = ["TemplateError"]
