"""Structure metrics of the package: function-level imports of its own modules, `Any` parameters,
the largest modules, and import cycles among its modules (module-level imports, TYPE_CHECKING
blocks excluded, as they do not run).

    python scripts/code_metrics.py [PACKAGE_DIR]
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import networkx as nx


def module_name(root: Path, path: Path) -> str:
    rel = path.relative_to(root.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def imports(tree: ast.Module, pkg: str, this: str, is_pkg: bool) -> tuple[set[str], set[str], int]:
    """(module-level imports of the package's modules, function-level ones, their count)."""
    top: set[str] = set()
    inner: set[str] = set()
    nested = 0

    def names(node: ast.AST) -> list[str]:
        if isinstance(node, ast.Import):
            return [a.name for a in node.names]
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = this.split(".") if is_pkg else this.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            # `from a import b` imports the module a.b when there is one, else names in a:
            # the caller keeps the longest prefix that is a module.
            return [f"{mod}.{a.name}" for a in node.names]
        return []

    def visit(body: list[ast.stmt], in_func: bool) -> None:
        nonlocal nested
        for node in body:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                own = [n for n in names(node) if n == pkg or n.startswith(pkg + ".")]
                if own:
                    if in_func:
                        nested += 1
                        inner.update(own)
                    else:
                        top.update(own)
            elif isinstance(node, ast.If) and _is_type_checking(node):
                continue
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                visit(node.body, True)
            elif isinstance(node, ast.ClassDef):
                visit(node.body, in_func)
            else:
                for field in ("body", "orelse", "finalbody", "handlers"):
                    sub = getattr(node, field, None)
                    if isinstance(sub, list):
                        visit([s for s in sub if isinstance(s, ast.stmt)] + [
                            s for h in sub if isinstance(h, ast.ExceptHandler) for s in h.body], in_func)

    visit(tree.body, False)
    return top, inner, nested


def any_params(tree: ast.Module) -> int:
    count = 0
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            args = node.args
            for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]:
                if a.annotation is not None and "Any" == ast.unparse(a.annotation).strip("'\""):
                    count += 1
    return count


def main() -> None:
    root = Path(sys.argv[1] if len(sys.argv) > 1 else "troubleshooter").resolve()
    pkg = root.name
    files = sorted(root.rglob("*.py"))
    modules = {module_name(root, f): f for f in files}
    graph = nx.DiGraph()
    runtime = nx.DiGraph()
    nested_total = any_total = 0
    sizes = []
    for mod, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        top, inner, nested = imports(tree, pkg, mod, path.name == "__init__.py")
        nested_total += nested
        any_total += any_params(tree)
        sizes.append((len(path.read_text(encoding="utf-8").splitlines()), mod))
        graph.add_node(mod)
        runtime.add_node(mod)
        for names, graphs in ((top, (graph, runtime)), (inner, (runtime,))):
            for name in names:
                # `from a.b import c` names a.b.c: keep the longest prefix that is a module
                while name and name not in modules:
                    name = name.rpartition(".")[0]
                if name and name != mod:
                    for g in graphs:
                        g.add_edge(mod, name)
    cycles = [c for c in nx.strongly_connected_components(graph) if len(c) > 1]
    hidden = [c for c in nx.simple_cycles(runtime, length_bound=4)]
    print(f"modules: {len(modules)}")
    print(f"function-level imports of {pkg} modules: {nested_total}")
    print(f"parameters annotated Any: {any_total}")
    print("largest modules: " + ", ".join(f"{m} {n}" for n, m in sorted(sizes, reverse=True)[:6]))
    print(f"import cycles (strongly connected groups of module-level imports): {len(cycles)}")
    for c in cycles:
        print("  " + " <-> ".join(sorted(c)))
    print(f"cycles of length <= 4 once function-level imports count too: {len(hidden)}")


if __name__ == "__main__":
    main()
