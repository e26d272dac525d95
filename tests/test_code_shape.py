"""The shape the style guide asks for, checked: Prefect tasks are thin shells, no function is long."""

import ast

from tests.support import ROOT


def _lengths(folder: str) -> dict[str, int]:
    out = {}
    for path in (ROOT / folder).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                out[f"{path.relative_to(ROOT)}:{node.name}"] = node.end_lineno - node.lineno + 1
    return out


def test_no_function_in_flows_or_transforms_is_over_60_lines():
    long = {k: n for folder in ("flows", "transforms") for k, n in _lengths(folder).items() if n > 60}
    assert long == {}


def test_the_prefect_tasks_module_holds_only_thin_shells():
    lengths = {k: n for k, n in _lengths("flows").items() if k.startswith("flows/tasks.py:")}
    assert lengths and {k: n for k, n in lengths.items() if n > 40} == {}
