"""The shape of iml's own code: no import cycles, and no module reaching into another's private names.

Both checks read the source (AST), so every import counts: at module level, inside functions,
and under ``if TYPE_CHECKING:`` (a cycle that only a type checker sees is still a cycle).
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "iml"

# Private attributes of other modules' objects that iml may call, each with its reason.
PRIVATE_ALLOWED = {
    "_asdict": "namedtuple's public API (the underscore avoids clashing with field names)",
    "_replace": "namedtuple's public API",
    "_getframe": "sys._getframe: the stdlib's documented way to read the caller's frame",
    "_exit": "os._exit: leave a forked child without running the parent's cleanup",
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imported(name: str, path: Path, known: set[str]) -> set[str]:
    """The iml modules one module imports, wherever in the file the import stands."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            # `from pkg import mod` imports the module pkg.mod; `from mod import name` the module mod.
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
        else:
            continue
        for target in targets:
            while target and target not in known:  # `import iml.a.b` names iml.a.b; a name inside a module -> it
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected component of more than one module, as one cycle through it (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(path_through(graph, sorted(component)))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def path_through(graph: dict[str, set[str]], component: list[str]) -> list[str]:
    """One cycle inside a strongly connected component: from its first module back to it."""
    start, members = component[0], set(component)
    paths, seen = [[start]], {start}
    while paths:
        path = paths.pop(0)
        for w in sorted(graph[path[-1]] & members):
            if w == start:
                return [*path, start]
            if w not in seen:
                seen.add(w)
                paths.append([*path, w])
    return component


def test_no_import_cycles() -> None:
    found = modules()
    graph = {name: imported(name, path, set(found)) for name, path in found.items()}
    # A package's __init__ is imported by its every module; that edge is no cycle of the code's own making.
    graph = {name: {t for t in targets if not name.startswith(t + ".")} for name, targets in graph.items()}
    loops = cycles(graph)
    assert not loops, "import cycles:\n" + "\n".join(" -> ".join(loop) for loop in loops)


def private_uses(source: str, where: str) -> list[str]:
    """`obj._name(...)` and `obj._name` reads where obj is not self/cls: another object's private attribute."""
    found = []
    for node in ast.walk(ast.parse(source, where)):
        if not isinstance(node, ast.Attribute) or not node.attr.startswith("_") or node.attr.startswith("__"):
            continue
        if isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"):
            continue
        if isinstance(node.value, ast.Call) and ast.unparse(node.value.func) == "super":  # its own class's
            continue
        if node.attr not in PRIVATE_ALLOWED:
            found.append(f"{where}:{node.lineno}: {ast.unparse(node)}")
    return found


def test_no_calls_into_private_names_of_other_modules() -> None:
    found = [line for path in modules().values()
             for line in private_uses(path.read_text(), str(path.relative_to(SRC)))]
    assert not found, "private attributes used from outside their object:\n" + "\n".join(found)


def test_the_checks_see_what_they_look_for(tmp_path: Path) -> None:
    """The checks themselves: a cycle through an import under TYPE_CHECKING, and a private call."""
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.b import B\n")
    (pkg / "b.py").write_text("def f():\n    from pkg import a\n")
    known = {"pkg", "pkg.a", "pkg.b"}
    graph = {"pkg.a": imported("pkg.a", pkg / "a.py", known), "pkg.b": imported("pkg.b", pkg / "b.py", known)}
    assert cycles(graph) == [["pkg.a", "pkg.b", "pkg.a"]]
    source = "def f(run):\n    run._save(1)\n    self._ok()\n    super()._ok()\n"
    assert private_uses(source, "m.py") == ["m.py:2: run._save"]
