"""The benchmarks sit below the CLI: `assistant.cli` imports `assistant.bench`, never the reverse."""

import ast
from pathlib import Path

import assistant.bench

BENCH = Path(assistant.bench.__file__).parent
PACKAGE = ["assistant", "bench"]  # what a relative import in these files starts from


def _imported_modules(path: Path) -> set[str]:
    """Absolute names of every module `path` imports, at module level or inside a function."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = PACKAGE[: len(PACKAGE) + 1 - node.level] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


def test_bench_never_imports_the_cli():
    offenders = {
        path.name: sorted(
            n for n in _imported_modules(path) if n == "assistant.cli" or n.startswith("assistant.cli.")
        )
        for path in sorted(BENCH.glob("*.py"))
    }
    assert not {name: found for name, found in offenders.items() if found}
