"""Layers point one way — views → services → models → i18n — and no module imports itself back in a circle.

Read from the source (every `import` and `from … import`, at any depth), so a late import inside a function
counts too."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("views", "services", "models", "i18n", "migrations")
# What each package may import from the project's own packages.
ALLOWED = {
    "i18n": set(),
    "models": {"i18n"},
    "services": {"models", "i18n"},
    "views": {"services", "models", "i18n"},
    "migrations": set(),
}


def project_imports(path: Path) -> set[str]:
    """The project modules `path` imports, as dotted names."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
                names = [module] if node.module else [f"{module}.{alias.name}" for alias in node.names]
            else:
                names = [node.module]
        else:
            continue
        found |= {name for name in names if name and name.split(".")[0] in PACKAGES + ("app", "cli", "worker")}
    return found


def modules():
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            yield package, path


def test_each_layer_imports_only_the_layers_below_it():
    wrong = []
    for package, path in modules():
        for name in project_imports(path):
            top = name.split(".")[0]
            if top != package and top not in ALLOWED[package]:
                wrong.append(f"{path.relative_to(ROOT)} imports {name}")
    assert not wrong, "\n".join(wrong)


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_no_import_cycles_between_modules():
    graph = {}
    for _, path in modules():
        name = _module_name(path)
        graph[name] = set()
        for imported in project_imports(path):
            # "models.invoice.Invoice" (a name from a module) counts as the module
            while imported and imported not in {_module_name(p) for _, p in modules()}:
                imported = imported.rpartition(".")[0]
            if imported and imported != name:
                graph[name].add(imported)
    # A package's __init__ importing its own submodules (to list them) is how Python packages work, not a cycle.
    for name in graph:
        graph[name] = {m for m in graph[name] if not (m.startswith(name + ".") and "." not in name)}
    cycles, state = [], {}

    def visit(node, stack):
        state[node] = "open"
        for nxt in graph.get(node, ()):
            if state.get(nxt) == "open":
                cycles.append(" → ".join(stack[stack.index(nxt):] + [nxt]) if nxt in stack else f"{node} → {nxt}")
            elif nxt not in state:
                visit(nxt, stack + [nxt])
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    assert not cycles, "\n".join(cycles)
