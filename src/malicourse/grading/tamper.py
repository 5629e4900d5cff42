"""Flag submissions that change what the tests rely on, for a human to review.

nbgrader restores the test cells' text, but the tests run in the student's Python session, so a
student cell can still swap the functions the tests call (``checks.close = lambda *a: None``),
shadow a builtin the tests use, or reach into the interpreter. No scan can prove code harmless;
this one looks for the few ways of doing that which course answers never need, and the grader
withholds the automatic points of a flagged submission until a person has looked.
"""

from __future__ import annotations

import ast
import builtins
from pathlib import Path

import nbformat

INTERPRETER_HOOKS = {
    "__builtins__", "__import__", "builtins", "compile", "ctypes", "delattr", "eval", "exec",
    "gc", "get_ipython", "globals", "importlib", "inspect", "locals", "setattr", "vars",
}  # fmt: skip
INTERPRETER_ATTRIBUTES = {"modules", "_getframe", "settrace", "setprofile", "meta_path"}
# Display settings that students legitimately change on the modules the lessons import.
SETTINGS = {("pd", "options"), ("pandas", "options"), ("plt", "rcParams"), ("mpl", "rcParams")}
HARMLESS_MAGICS = {"matplotlib", "time", "timeit", "who", "whos", "pwd", "precision"}


def scan_notebook(path: Path) -> list[str]:
    """Reasons to review a notebook: one line per suspicious statement, empty if none."""
    notebook = nbformat.read(path, as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    given = [cell for cell in code if _meta(cell).get("locked") or _meta(cell).get("grade")]
    protected = set().union(*(_imported_names(cell.source) for cell in given))
    modules = set().union(*(_imported_names(cell.source) for cell in code))
    imports = {target for cell in given for _, target in _imports(cell.source)}
    used_by_tests = set().union(*(_loaded_names(cell.source) for cell in given))
    shadowable = used_by_tests & set(dir(builtins))
    reasons = []
    for number, cell in enumerate(code, start=1):
        if cell in given:
            continue
        for line, why in _suspicious(cell.source, protected, modules, shadowable, imports):
            reasons.append(f"code cell {number}, line {line}: {why}")
    return reasons


def _meta(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def _parse(source: str) -> ast.AST | None:
    from IPython.core.inputtransformer2 import TransformerManager

    try:
        return ast.parse(TransformerManager().transform_cell(source))
    except SyntaxError:
        return None  # it fails when it runs, and scores nothing


def _imports(source: str) -> set[tuple[str, str]]:
    tree = _parse(source)
    nodes = (
        [n for n in ast.walk(tree) if isinstance(n, ast.Import | ast.ImportFrom)] if tree else []
    )
    return set().union(*(_import_bindings(node) for node in nodes))


def _imported_names(source: str) -> set[str]:
    return {bound for bound, _ in _imports(source)}


def _loaded_names(source: str) -> set[str]:
    tree = _parse(source)
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} if tree else set()


def _top_level(tree: ast.AST):
    """Statements that run at the top of a cell: not inside a function or class body."""
    pending = list(ast.iter_child_nodes(tree))
    while pending:
        node = pending.pop()
        yield node
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda):
            pending.extend(ast.iter_child_nodes(node))


def _rebound(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Assign | ast.Delete):
        return [name for target in node.targets for name in _bound(target)]
    if isinstance(node, ast.AugAssign | ast.AnnAssign | ast.For | ast.AsyncFor):
        return _bound(node.target)
    if isinstance(node, ast.With | ast.AsyncWith):
        return [name for item in node.items for name in _bound(item.optional_vars)]
    if isinstance(node, ast.NamedExpr):
        return _bound(node.target)
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return [node.name]
    if isinstance(node, ast.Import | ast.ImportFrom):
        return [bound for bound, _ in _import_bindings(node)]
    return []


def _import_bindings(node: ast.Import | ast.ImportFrom) -> set[tuple[str, str]]:
    """(name bound, what it is bound to) for each name an import statement binds."""
    prefix = f"{node.module}." if isinstance(node, ast.ImportFrom) else ""
    return {
        ((alias.asname or alias.name).split(".")[0], prefix + alias.name) for alias in node.names
    }


def _bound(target: ast.AST | None) -> list[str]:
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, ast.Tuple | ast.List):
        return [name for element in target.elts for name in _bound(element)]
    if isinstance(target, ast.Starred):
        return _bound(target.value)
    return []


def _root_name(node: ast.AST) -> str | None:
    while isinstance(node, ast.Attribute | ast.Subscript):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _is_setting(target: ast.AST) -> bool:
    chain = []
    while isinstance(target, ast.Attribute | ast.Subscript):
        if isinstance(target, ast.Attribute):
            chain.append(target.attr)
        target = target.value
    return isinstance(target, ast.Name) and (target.id, (chain or [""])[-1]) in SETTINGS


def _suspicious(source, protected, modules, shadowable, given):
    for number, line in enumerate(source.splitlines(), start=1):
        stripped = line.lstrip()
        if stripped.startswith("%") and not stripped.startswith("%%"):
            magic = (stripped[1:].split() or [""])[0]
            if magic not in HARMLESS_MAGICS:
                yield number, f"IPython magic %{magic}"
    # `%matplotlib` becomes a get_ipython() call, so scan the text as written, magics removed.
    written = "\n".join(
        "pass" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines()
    )
    tree = _parse(written)
    if tree is None:
        return
    names_in_tests = protected | shadowable
    for node in _top_level(tree):
        repeated = set()
        if isinstance(node, ast.Import | ast.ImportFrom):  # `import pandas as pd` again is fine
            repeated = {bound for bound, target in _import_bindings(node) if target in given}
        for name in set(_rebound(node)) - repeated:
            if name in names_in_tests:
                yield node.lineno, f"rebinds {name!r}, which the tests use"
    for node in ast.walk(tree):
        if isinstance(node, ast.Global) and set(node.names) & names_in_tests:
            yield node.lineno, f"declares {sorted(set(node.names) & names_in_tests)} global"
        elif isinstance(node, ast.Import | ast.ImportFrom):
            for alias in node.names:
                if alias.name.split(".")[0] in INTERPRETER_HOOKS:
                    yield node.lineno, f"imports {alias.name!r}"
        elif isinstance(node, ast.Name) and node.id in INTERPRETER_HOOKS:
            yield node.lineno, f"uses {node.id!r}"
        elif isinstance(node, ast.Attribute) and node.attr in INTERPRETER_ATTRIBUTES:
            yield node.lineno, f"uses {ast.unparse(node)!r}"
        targets = []
        if isinstance(node, ast.Assign | ast.Delete):
            targets = node.targets
        elif isinstance(node, ast.AugAssign | ast.AnnAssign):
            targets = [node.target]
        for target in targets:
            if isinstance(target, ast.Attribute | ast.Subscript):
                root = _root_name(target)
                if root in modules and not _is_setting(target):
                    yield (
                        node.lineno,
                        f"changes {ast.unparse(target)!r}, part of what the tests use",
                    )
