#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Lists the command-line flags of Megatron-LM's pretrain_gpt.py parser, from its source.

    scripts/megatron-argument-names.py MEGATRON_LM_CHECKOUT > tests/data/megatron/arguments.txt

`sprout export --target megatron` writes pretrain_gpt.py arguments; a test checks every flag
it writes against this list (docs/export.md "Megatron-LM"). The list is read from the source
without importing it (Megatron-LM needs PyTorch 2.x, CUDA packages and Transformer Engine):
every `--flag` literal passed to `add_argument` in megatron/training/arguments.py, plus the
flags its `ArgumentGroupFactory(Config, exclude=[...])` calls derive from dataclass fields,
by the rules of megatron/training/argument_utils.py: `--field-name`; a bool field whose
default is not False becomes `--no-field-name` and `--disable-field-name`; a field's
`argparse_meta` `arg_names` replace both; `init=False` fields and excluded ones are skipped.
The first line names the commit (`git -C CHECKOUT rev-parse HEAD`).
"""
import ast
import pathlib
import subprocess
import sys


def literal_strings(node):
    if isinstance(node, (ast.List, ast.Tuple)):
        return [e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
    return []


def keyword(call, name):
    for k in call.keywords:
        if k.arg == name:
            return k.value
    return None


class Dataclasses:
    """Every class in the tree by name, with its bases and annotated fields."""

    def __init__(self, root):
        self.classes = {}
        for path in sorted(root.rglob("*.py")):
            try:
                tree = ast.parse(path.read_text(encoding="utf-8"))
            except (SyntaxError, UnicodeDecodeError):
                continue
            for node in ast.walk(tree):
                if isinstance(node, ast.ClassDef):
                    self.classes.setdefault(node.name, node)

    def fields(self, name, seen=None):
        seen = seen or set()
        cls = self.classes.get(name)
        if cls is None or name in seen:
            return []
        seen.add(name)
        out = []
        for base in cls.bases:
            if isinstance(base, ast.Name):
                out.extend(self.fields(base.id, seen))
        for stmt in cls.body:
            if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                if "ClassVar" in ast.unparse(stmt.annotation):
                    continue
                out = [f for f in out if f[0] != stmt.target.id]  # a subclass redefines it
                out.append((stmt.target.id, stmt.annotation, stmt.value))
        return out


def is_bool(annotation):
    text = ast.unparse(annotation).replace(" ", "")
    return text in ("bool", "Optional[bool]", "bool|None", "None|bool")


def field_flags(name, annotation, value):
    default = value
    if isinstance(value, ast.Call) and ast.unparse(value.func).endswith("field"):
        init = keyword(value, "init")
        if isinstance(init, ast.Constant) and init.value is False:
            return []
        meta = keyword(value, "metadata")
        if isinstance(meta, ast.Dict):
            for k, v in zip(meta.keys, meta.values):
                if isinstance(k, ast.Constant) and k.value == "argparse_meta" and isinstance(v, ast.Dict):
                    for k2, v2 in zip(v.keys, v.values):
                        if isinstance(k2, ast.Constant) and k2.value == "arg_names":
                            return literal_strings(v2)
        default = keyword(value, "default")
    flag = name.replace("_", "-")
    if is_bool(annotation) and not (isinstance(default, ast.Constant) and default.value is False):
        return ["--no-" + flag, "--disable-" + flag]
    return ["--" + flag]


def main():
    root = pathlib.Path(sys.argv[1])
    arguments = root / "megatron" / "training" / "arguments.py"
    tree = ast.parse(arguments.read_text(encoding="utf-8"))
    classes = Dataclasses(root / "megatron")
    flags = set()
    for func in [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]:
        lists = {}  # simple `name = [...]` assignments, for exclude=name
        for node in ast.walk(func):
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                if isinstance(node.value, (ast.List, ast.Tuple)):
                    lists[node.targets[0].id] = literal_strings(node.value)
        for node in ast.walk(func):
            if not isinstance(node, ast.Call):
                continue
            callee = ast.unparse(node.func)
            if callee.endswith("add_argument"):
                for a in node.args:
                    if isinstance(a, ast.Constant) and isinstance(a.value, str) and a.value.startswith("--"):
                        flags.add(a.value)
            elif callee.endswith("ArgumentGroupFactory") and node.args and isinstance(node.args[0], ast.Name):
                exclude_node = keyword(node, "exclude")
                exclude = set(literal_strings(exclude_node))
                if isinstance(exclude_node, ast.Name):
                    exclude = set(lists.get(exclude_node.id, []))
                for name, annotation, value in classes.fields(node.args[0].id):
                    if name not in exclude:
                        flags.update(field_flags(name, annotation, value))
    commit = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True)
    print("# NVIDIA/Megatron-LM commit " + (commit.stdout.strip() or "unknown") +
          ": pretrain_gpt.py flags (scripts/megatron-argument-names.py)")
    for f in sorted(flags):
        print(f)


if __name__ == "__main__":
    main()
