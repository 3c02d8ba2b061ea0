"""The import rules of pyproject.toml ([tool.importlinter]) hold, and no modules import each other in a cycle.

Imports inside functions count as much as those at the top of a module: grimp reads them all.
"""

import subprocess
import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("cantondex", "demo", "auctions", "compliance", "trading", "operations", "accounts", "streams", "kernel")


def test_dependencies_point_one_way():
    # In a process of its own: import-linter trips over what Twisted's zope.interface adds to abc.ABC.
    lint = subprocess.run(
        [sys.executable, "-c", "from importlinter.cli import lint_imports_command; lint_imports_command()", "--no-cache", "--no-logo"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert lint.returncode == 0, lint.stdout + lint.stderr


def test_no_module_imports_itself_through_others():
    graph = grimp.build_graph(*PACKAGES, cache_dir=None)
    imports = {module: graph.find_modules_directly_imported_by(module) for module in graph.modules}
    cycles = [sorted(component) for component in strongly_connected(imports) if len(component) > 1]
    assert cycles == [], "modules that import each other, directly or through others: " + "; ".join(
        " <-> ".join(cycle) for cycle in sorted(cycles)
    )


def strongly_connected(edges: dict[str, set[str]]) -> list[set[str]]:
    """Tarjan's algorithm: the sets of nodes that all reach one another."""
    index: dict[str, int] = {}
    lowlink: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = lowlink[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in edges.get(node, ()):
            if target not in index:
                visit(target)
                lowlink[node] = min(lowlink[node], lowlink[target])
            elif target in on_stack:
                lowlink[node] = min(lowlink[node], index[target])
        if lowlink[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            components.append(component)

    for node in edges:
        if node not in index:
            visit(node)
    return components


def test_strongly_connected_finds_cycles_and_only_them():
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set(), "e": {"e"}}
    assert sorted(map(sorted, strongly_connected(edges))) == [["a", "b", "c"], ["d"], ["e"]]
