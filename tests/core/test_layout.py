"""House rules of DESIGN.md, checked on the source: the core never imports a plugin, a plugin
never imports another plugin, and no two modules import each other (no import cycles)."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ('mmvideofm', 'projects')


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix('').parts)
    if parts[-1] == '__init__':
        parts.pop()
    return '.'.join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for pkg in PACKAGES for p in (ROOT / pkg).rglob('*.py')}


def _resolve(module: str, is_pkg: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ''
    base = module.split('.')
    base = base if is_pkg else base[:-1]
    base = base[:len(base) - node.level + 1]
    return '.'.join(base + ([node.module] if node.module else []))


def _imports(modules: dict[str, Path]) -> dict[str, set[str]]:
    """Every module's imports of our packages, at any depth of the file (lazy imports too)."""
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        deps = set()
        for node in ast.walk(ast.parse(path.read_text(encoding='utf-8'))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                src = _resolve(name, path.name == '__init__.py', node)
                targets = [f'{src}.{a.name}' for a in node.names] + [src]
            else:
                continue
            for target in targets:
                # the longest of our modules that the imported name starts with
                parts = target.split('.')
                for i in range(len(parts), 0, -1):
                    cand = '.'.join(parts[:i])
                    if cand in modules:
                        if cand != name:
                            deps.add(cand)
                        break
        graph[name] = deps
    return graph


GRAPH = _imports(_modules())


def _plugin(module: str) -> str | None:
    parts = module.split('.')
    return parts[1] if parts[0] == 'projects' and len(parts) > 1 else None


def test_core_never_imports_a_plugin():
    bad = sorted(f'{m} -> {d}' for m, deps in GRAPH.items() if m.startswith('mmvideofm')
                 for d in deps if d.startswith('projects'))
    assert not bad, 'the core imports plugins (use the registries instead):\n' + '\n'.join(bad)


def _callee(node: ast.Call) -> str:
    func = node.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, 'id', '')


def test_core_never_names_a_plugin_module():
    """Nor by string (``importlib.import_module(f'projects.{name}')``): plugins populate the
    registries on import; tools import them."""
    bad = []
    for name, path in _modules().items():
        if not name.startswith('mmvideofm'):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding='utf-8'))):
            if not (isinstance(node, ast.Call) and node.args and _callee(node) in
                    ('import_module', '__import__', 'import_modules_from_strings')):
                continue
            arg = node.args[0]
            head = arg.values[0] if isinstance(arg, ast.JoinedStr) and arg.values else arg
            if isinstance(head, ast.Constant) and str(head.value).startswith('projects'):
                bad.append(f'{path.relative_to(ROOT)}:{node.lineno}')
    assert not bad, 'the core names plugin modules:\n' + '\n'.join(bad)


def test_plugins_never_import_each_other():
    bad = sorted(f'{m} -> {d}' for m, deps in GRAPH.items() if _plugin(m)
                 for d in deps if _plugin(d) and _plugin(d) != _plugin(m))
    assert not bad, 'plugins import each other (move shared code to mmvideofm/):\n' + \
        '\n'.join(bad)


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def _is_package_reexport(a: str, b: str) -> bool:
    """A package's ``__init__`` importing its own submodules, which import siblings through the
    package, is Python's normal layout, not a cycle between two modules."""
    return b.startswith(a + '.') or a.startswith(b + '.')


def test_no_two_modules_import_each_other():
    # package -> submodule edges are how packages expose their parts; leave them out
    graph = {m: {d for d in deps if not _is_package_reexport(m, d)}
             for m, deps in GRAPH.items()}
    cycles = _cycles(graph)
    assert not cycles, 'import cycles:\n' + '\n'.join(' <-> '.join(c) for c in cycles)


@pytest.mark.parametrize('graph,expected', [
    ({'a': {'b'}, 'b': {'a'}}, [['a', 'b']]),
    ({'a': {'b'}, 'b': {'c'}, 'c': set()}, []),
])
def test_cycle_finder(graph, expected):
    assert _cycles(graph) == expected
