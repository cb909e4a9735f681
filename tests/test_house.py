"""The house rules of issue #13, checked on the code itself: layers, no import cycles, file size.

Imports are read from every module's syntax tree, the ones inside functions too (a lazy import is
still a dependency): ``spiders`` and ``digest`` never import each other, the core (``calls``) imports
no stage, and no two modules depend on each other through any chain.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("calls", "pipelines", "spiders", "digest")
FORBIDDEN = {("spiders", "digest"), ("digest", "spiders"), ("calls", "pipelines"), ("calls", "spiders"),
             ("calls", "digest")}
MAX_LINES = 500


def modules() -> dict[str, Path]:
    found = {}
    for path in sorted(ROOT.glob("*/**/*.py")):
        rel = path.relative_to(ROOT)
        if rel.parts[0] in PACKAGES:
            name = ".".join(rel.with_suffix("").parts)
            found[name.removesuffix(".__init__")] = path
    return found


def imports(known: dict[str, Path]) -> dict[str, set[str]]:
    """Module → the project modules it imports (the longest known prefix of each imported name)."""
    edges: dict[str, set[str]] = defaultdict(set)
    for name, path in known.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")
                    base = ".".join(parts[: len(parts) - node.level + 1] + ([node.module] if node.module else []))
                targets = [base, *(f"{base}.{alias.name}" for alias in node.names)]
            else:
                continue
            for target in targets:
                while target and target not in known:
                    target = target.rpartition(".")[0]
                if target and target != name:
                    edges[name].add(target)
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(edges):
        if start in index:
            continue
        work = [(start, iter(sorted(edges.get(start, ()))))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    found.append(sorted(group))
    return found


def test_the_checker_sees_a_cycle_and_a_lazy_import(tmp_path):
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_layers_spiders_and_digest_apart_and_the_core_imports_no_stage():
    edges = imports(modules())
    assert edges["digest.cli"], "the reader found no imports at all"
    crossing = sorted((a, b) for a, targets in edges.items() for b in targets
                      if (a.split(".")[0], b.split(".")[0]) in FORBIDDEN)
    assert crossing == []


def test_no_import_cycle_between_modules():
    assert cycles(imports(modules())) == []


def test_cli_only_parses_and_prints():
    assert len((ROOT / "digest" / "cli.py").read_text(encoding="utf-8").splitlines()) < 400


def test_no_python_file_over_500_lines():
    long = {str(path.relative_to(ROOT)): n for path in sorted(ROOT.glob("*/**/*.py"))
            if path.relative_to(ROOT).parts[0] in (*PACKAGES, "tests", "bench")
            and (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}


def test_the_spiders_crawl_entry_point_only_crawls():
    """Merging and classifying after a crawl is pipelines.run's; spiders.crawl imports no later stage."""
    edges = imports(modules())
    assert not {t for t in edges["spiders.crawl"] if t.startswith(("pipelines.", "digest."))}
    assert {"spiders.crawl", "pipelines.consolidate"} <= edges["pipelines.run"]
