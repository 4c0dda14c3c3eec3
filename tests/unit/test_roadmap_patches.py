"""The plan workflow's patches live in one place (docs/release.md): plans/patches.py names every id
the code passes to `workflow.patched` or `workflow.deprecate_patch`, and lists none it no longer asks."""

import ast
from pathlib import Path

from services.roadmap.plans import patches

PLANS = Path(__file__).parents[2] / "services" / "roadmap" / "plans"
PATCH_CALLS = {"patched", "deprecate_patch"}


def patch_calls() -> list[tuple[str, ast.expr]]:
    """(where, argument) of every workflow.patched / workflow.deprecate_patch call under plans/."""
    calls = []
    for path in sorted(PLANS.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in PATCH_CALLS
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "workflow"
            ):
                calls.append((f"{path.name}:{node.lineno}", node.args[0]))
    return calls


def test_every_patch_the_workflow_asks_is_listed_and_every_listed_patch_is_asked() -> None:
    asked = set()
    for where, argument in patch_calls():
        assert (
            isinstance(argument, ast.Attribute)
            and isinstance(argument.value, ast.Name)
            and argument.value.id == "patches"
        ), f"{where}: pass a constant of plans/patches.py, not a literal"
        patch_id = getattr(patches, argument.attr)
        assert patch_id in patches.PATCHES, f"{where}: {patch_id!r} is not in PATCHES"
        asked.add(patch_id)
    assert asked == set(patches.PATCHES), f"listed but never asked: {set(patches.PATCHES) - asked}"
