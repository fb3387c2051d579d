"""The one door: the command line and the flows reach the stages (scrapers, classify, store,
digests, zhtext) only through `casewatch/pipeline.py`, so that dropping Prefect would touch
`flows/` and one function of the CLI."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
STAGES = {"scrapers", "classify", "store", "digests", "zhtext"}


def imported(path: Path) -> set[str]:
    """Every module a file imports, at its top or inside a function."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", [ROOT / "casewatch" / "cli.py", *sorted((ROOT / "flows").glob("*.py"))], ids=lambda p: p.name)
def test_the_cli_and_the_flows_import_no_stage_but_through_the_pipeline(path):
    below = sorted(name for name in imported(path) if name.split(".")[0] in STAGES)
    assert below == [], f"{path.relative_to(ROOT)} imports {below}: go through casewatch.pipeline"


def test_only_one_function_of_the_cli_runs_flows():
    tree = ast.parse((ROOT / "casewatch" / "cli.py").read_text(encoding="utf-8"))
    users = {
        function.name
        for function in ast.walk(tree)
        if isinstance(function, ast.FunctionDef)
        for node in ast.walk(function)
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("flows")
        or isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "import_module"
    }
    assert users <= {"run_flow", "serve"}, users  # serve serves a deployment: Prefect is what it is
