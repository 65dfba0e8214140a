"""The deployed system as a Graph, read from the declarations both the local stack and the CDK app use: the
function catalog, the state machine specs, the resources and the API's route table. A new function, state
machine, table, topic or bucket appears here (and the staleness test fails until diagrams/ is regenerated).
"""

from __future__ import annotations

from catalog import resources
from catalog.functions import CATALOG
from catalog.specs import ResourceRef
from duoflow.diagrams.graph import Edge, Graph, Node
from duoflow.diagrams.sources import all_state_machines
from services.api.routes import ROLES, ROUTES

STORE_KINDS = {"table": "DynamoDB table", "topic": "SNS topic", "bucket": "S3 bucket"}


def _store_names() -> list[tuple[str, str]]:
    stores = [("table", spec.name) for spec in resources.TABLES] + [("topic", name) for name in resources.TOPICS]
    for bucket in getattr(resources, "BUCKETS", []):
        stores.append(("bucket", getattr(bucket, "name", bucket)))
    return stores


def architecture_graph() -> Graph:
    graph = Graph(start="people")
    functions = {spec.name: spec for spec in CATALOG}
    roles = ", ".join(sorted({route.role for route in ROUTES if route.role} | set(ROLES)))
    graph.nodes += [
        Node("people", "Applicants, managers, HR reviewers", "person", "person", note="browser: the web console"),
        Node("cognito", "Cognito user pool", "box", "service", note=f"groups: {roles}"),
        Node("apigw", "API Gateway HTTP API", "box", "service", note="JWT authorizer (Cognito)"),
    ]
    graph.edges += [
        Edge("people", "cognito", "data", "sign in"),
        Edge("people", "apigw", "next", "HTTPS + token"),
        Edge("apigw", "cognito", "data", "verifies the token"),
    ]
    for machine in all_state_machines():
        graph.nodes.append(
            Node(f"sm:{machine.name}", machine.name, "box", "statemachine", note=f"Step Functions · {machine.variant}")
        )
    for spec in CATALOG:
        note = "durable function" if spec.durable else "Lambda"
        graph.nodes.append(
            Node(f"fn:{spec.name}", spec.name, "box", "durable" if spec.durable else "lambda", note=note)
        )
    for kind, name in _store_names():
        graph.nodes.append(Node(f"{kind}:{name}", name, "store", "store", note=STORE_KINDS[kind]))
    known = {node.id for node in graph.nodes}

    def target_of(value: object) -> tuple[str, str] | None:
        if isinstance(value, ResourceRef):
            node_id = {"function": "fn", "state_machine": "sm"}.get(value.kind, value.kind) + ":" + value.logical_name
            verb = {"function": "invokes", "state_machine": "starts"}.get(value.kind, "")
            return (node_id, verb) if node_id in known else None
        if isinstance(value, str) and value in functions:
            return f"fn:{value}", "invokes"
        return None

    api = next((spec for spec in CATALOG if spec.name == "duoflow-api"), None)
    if api:
        graph.edges.append(Edge("apigw", "fn:duoflow-api", "call", "every route"))
    for spec in CATALOG:
        for value in spec.environment.values():
            found = target_of(value)
            if found:
                node_id, verb = found
                kind = "call" if node_id.startswith(("fn:", "sm:")) else "data"
                graph.edges.append(Edge(f"fn:{spec.name}", node_id, kind, verb if kind == "call" else ""))
    # event sources: an upload invokes its function (S3 → EventBridge), a table's changes theirs (its stream)
    for rule in getattr(resources, "UPLOAD_RULES", []):
        graph.edges.append(Edge(f"bucket:{rule.bucket}", f"fn:{rule.function}", "call", "object created"))
    for rule in getattr(resources, "STREAM_RULES", []):
        graph.edges.append(Edge(f"table:{rule.table}", f"fn:{rule.function}", "call", "stream"))
    for machine in all_state_machines():
        for value in machine.placeholders.values():
            found = target_of(value)
            if found:
                node_id, _ = found
                kind = "call" if node_id.startswith("fn:") else "data"
                graph.edges.append(Edge(f"sm:{machine.name}", node_id, kind))
    return _grouped(graph)


def _grouped(graph: Graph) -> Graph:
    """Plain Lambdas called by the same callers become one node ("4 Lambdas: ..."), so the picture shows who
    calls what, not every function's wiring; durable functions, the API and the stores stay single."""
    callers: dict[str, frozenset[str]] = {}
    for node in graph.nodes:
        if node.kind == "lambda" and node.id != "fn:duoflow-api":
            callers[node.id] = frozenset(e.source for e in graph.edges if e.target == node.id and e.kind == "call")
    groups: dict[frozenset[str], list[str]] = {}
    for node_id, by in callers.items():
        groups.setdefault(by, []).append(node_id)
    rename: dict[str, str] = {}
    nodes = [node for node in graph.nodes if node.id not in callers]
    for index, members in enumerate(groups.values()):
        names = [member.removeprefix("fn:") for member in members]
        if len(members) == 1:
            nodes.append(graph.node(members[0]))
            continue
        group_id = f"lambdas:{index}"
        nodes.append(Node(group_id, f"{len(members)} Lambdas", "box", "lambda", note=", ".join(names)))
        rename.update({member: group_id for member in members})
    edges, seen = [], set()
    for edge in graph.edges:
        source, target = rename.get(edge.source, edge.source), rename.get(edge.target, edge.target)
        if source != target and (source, target) not in seen:
            seen.add((source, target))
            edges.append(Edge(source, target, edge.kind, edge.label))
    return Graph(nodes, edges, graph.start)
