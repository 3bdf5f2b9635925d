"""Structural checks of Airflow DAG files, with the standard library only.

Reads {"files": [{"path": ..., "content": ...}]} as JSON on stdin; writes {"findings": [...], "facts": {...}}.
Each finding: {"path", "line", "rule", "message"}. Facts: schedules and time zones written as literals,
for the caller to check.
"""

import ast
import json
import os
import sys

METADATA_CALLS = {
    ("Variable", "get"),
    ("Variable", "get_variable_from_secrets"),
    ("BaseHook", "get_connection"),
    ("BaseHook", "get_hook"),
    ("Connection", "get_connection_from_secrets"),
}
LOAD_OPERATORS = {"GenericTransfer", "S3ToSqlOperator", "DockerOperator", "SparkSubmitOperator"}


def call_name(node):
    func = node.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def literal(node):
    try:
        return ast.literal_eval(node)
    except Exception:
        return None


def keywords(call):
    return {k.arg: k.value for k in call.keywords if k.arg}


class ParseTimeVisitor(ast.NodeVisitor):
    """Visits what runs when the file is parsed: not function bodies, but their defaults and decorators."""

    def __init__(self):
        self.calls = []

    def visit_FunctionDef(self, node):
        for default in node.args.defaults + [d for d in node.args.kw_defaults if d is not None]:
            self.visit(default)
        for decorator in node.decorator_list:
            self.visit(decorator)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Lambda(self, node):
        for default in node.args.defaults:
            self.visit(default)

    def visit_Call(self, node):
        func = node.func
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            if (func.value.id, func.attr) in METADATA_CALLS:
                self.calls.append((node.lineno, "%s.%s" % (func.value.id, func.attr)))
        elif isinstance(func, ast.Name) and func.id in ("get_connection",):
            self.calls.append((node.lineno, func.id))
        self.generic_visit(node)


def dag_calls(tree):
    """DAG(...) constructions and @dag decorators."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and call_name(node) == "DAG":
            found.append(node)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for decorator in node.decorator_list:
                target = decorator.func if isinstance(decorator, ast.Call) else decorator
                name = target.id if isinstance(target, ast.Name) else getattr(target, "attr", None)
                if name == "dag":
                    found.append(decorator if isinstance(decorator, ast.Call) else ast.Call(func=decorator, args=[], keywords=[], lineno=node.lineno))
    return found


def tasks_of(tree):
    """variable name -> (task_id, operator, line) for `name = Operator(task_id=...)`."""
    tasks = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) and len(node.targets) == 1:
            target = node.targets[0]
            task_id = keywords(node.value).get("task_id")
            if isinstance(target, ast.Name) and task_id is not None:
                tasks[target.id] = (literal(task_id), call_name(node.value), node.lineno)
    return tasks


def operands(node):
    if isinstance(node, ast.Name):
        return [node.id]
    if isinstance(node, (ast.List, ast.Tuple)):
        return [e.id for e in node.elts if isinstance(e, ast.Name)]
    return []


def flatten(node):
    """`a >> [b, c] << d` -> groups [[a], [b, c], [d]] and the operators between them."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.RShift, ast.LShift)):
        groups, ops = flatten(node.left)
        return groups + [operands(node.right)], ops + [node.op]
    return [operands(node)], []


def edges_of(tree):
    edges = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Expr):
            continue
        groups, ops = flatten(node.value)
        for i, op in enumerate(ops):
            for a in groups[i]:
                for b in groups[i + 1]:
                    edges.add((a, b) if isinstance(op, ast.RShift) else (b, a))
        call = node.value
        if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and isinstance(call.func.value, ast.Name):
            if call.func.attr in ("set_downstream", "set_upstream") and call.args:
                for other in operands(call.args[0]):
                    me = call.func.value.id
                    edges.add((me, other) if call.func.attr == "set_downstream" else (other, me))
    return edges


def find_cycle(nodes, edges):
    graph = {n: [] for n in nodes}
    for a, b in edges:
        graph.setdefault(a, []).append(b)
        graph.setdefault(b, [])
    state = {}

    def visit(n, path):
        state[n] = 1
        for m in graph[n]:
            if state.get(m) == 1:
                return path + [n, m]
            if state.get(m) is None:
                found = visit(m, path + [n])
                if found:
                    return found
        state[n] = 2
        return None

    for n in graph:
        if state.get(n) is None:
            found = visit(n, [])
            if found:
                return found
    return None


def check_file(path, content, seen_dag_ids, findings, facts):
    def add(line, rule, message):
        findings.append({"path": path, "line": line, "rule": rule, "message": message})

    try:
        tree = ast.parse(content, filename=path)
    except SyntaxError as err:
        add(err.lineno or 1, "DW000", "syntax error: %s" % err.msg)
        return

    dags = dag_calls(tree)
    if not dags:
        return  # not a DAG file (a test, a helper)
    if len(dags) > 1:
        add(dags[1].lineno, "DW001", "more than one DAG in a file")
    dag = dags[0]
    kw = keywords(dag)
    stem = os.path.splitext(os.path.basename(path))[0]
    dag_id = literal(kw["dag_id"]) if "dag_id" in kw else (literal(dag.args[0]) if dag.args else None)
    if not isinstance(dag_id, str):
        add(dag.lineno, "DW002", "the dag_id is not a literal string")
    elif dag_id != stem:
        add(dag.lineno, "DW002", "dag_id %r differs from the file name %r" % (dag_id, stem))
    elif dag_id in seen_dag_ids:
        add(dag.lineno, "DW003", "dag_id %r is also used by %s" % (dag_id, seen_dag_ids[dag_id]))
    else:
        seen_dag_ids[dag_id] = path

    for name in ("schedule", "start_date", "catchup"):
        if name not in kw:
            add(dag.lineno, "DW004", "the DAG sets no explicit %s" % name)
    for name in ("tags", "doc_md"):
        if name not in kw:
            add(dag.lineno, "DW005", "the DAG has no %s" % name)

    default_args = None
    if "default_args" in kw:
        value = kw["default_args"]
        if isinstance(value, ast.Name):
            name = value.id
            for node in ast.walk(tree):
                if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
                    value = node.value
        if isinstance(value, ast.Dict):
            default_args = {literal(k): v for k, v in zip(value.keys, value.values) if k is not None}
    for name in ("owner", "retries"):
        if default_args is None or name not in default_args:
            add(dag.lineno, "DW005", "default_args set no %s" % name)

    schedule = kw.get("schedule")
    if isinstance(schedule, ast.Constant) and isinstance(schedule.value, str):
        facts["schedules"].append({"path": path, "line": schedule.lineno, "value": schedule.value, "timetable": None})
    if isinstance(schedule, ast.Call) and schedule.args and isinstance(schedule.args[0], ast.Constant):
        facts["schedules"].append({"path": path, "line": schedule.lineno, "value": schedule.args[0].value, "timetable": call_name(schedule)})
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            for k in node.keywords:
                if k.arg in ("tz", "timezone") and isinstance(k.value, ast.Constant) and isinstance(k.value.value, str):
                    facts["timezones"].append({"path": path, "line": k.value.lineno, "value": k.value.value})

    visitor = ParseTimeVisitor()
    visitor.visit(tree)
    for line, name in visitor.calls:
        add(line, "DW006", "%s runs when the file is parsed: read it inside a task (templates or the task's code)" % name)

    tasks = tasks_of(tree)
    seen_ids = {}
    for variable, (task_id, operator, line) in sorted(tasks.items(), key=lambda t: t[1][2]):
        if task_id in seen_ids:
            add(line, "DW007", "task_id %r is used twice" % task_id)
        seen_ids[task_id] = variable
    edges = edges_of(tree)
    cycle = find_cycle(list(tasks), edges)
    if cycle:
        add(dag.lineno, "DW008", "the tasks form a cycle: %s" % " >> ".join(cycle))

    downstream = {}
    for a, b in edges:
        downstream.setdefault(a, set()).add(b)

    def reachable(start):
        out, stack = set(), [start]
        while stack:
            for nxt in downstream.get(stack.pop(), ()):
                if nxt not in out:
                    out.add(nxt)
                    stack.append(nxt)
        return out

    def is_check(variable):
        task_id, operator, _ = tasks[variable]
        return "Check" in (operator or "") or str(task_id).startswith("check")

    for variable, (task_id, operator, line) in tasks.items():
        is_load = (operator in LOAD_OPERATORS or task_id in ("load", "merge")) and not is_check(variable)
        if is_load and not any(is_check(v) for v in reachable(variable) if v in tasks):
            add(line, "DW009", "no data-quality task runs after %r" % task_id)


def main():
    request = json.load(sys.stdin)
    findings = []
    facts = {"schedules": [], "timezones": []}
    seen = {}
    for item in sorted(request["files"], key=lambda f: f["path"]):
        check_file(item["path"], item["content"], seen, findings, facts)
    json.dump({"findings": findings, "facts": facts}, sys.stdout)


if __name__ == "__main__":
    main()
