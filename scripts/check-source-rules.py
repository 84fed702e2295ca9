#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The source tree's own rules (docs/architecture.md "Rules the tests hold"):

  1. no C++ source file over 600 lines;
  2. no C++ function over 120 lines (signature to closing brace);
  3. no file names a document outside the repository (the design documents
     the project started from, or the folder that held them): every fact the
     code relies on lives in docs/ with its original source;
  4. every C++ file is formatted as .clang-format says (clang-format);
  5. includes point one way: between the libraries (planner <- simulator <-
     gui; planner <- backend; cli uses all but gui) and between the concern
     folders inside each library (LAYERS below, lowest first).

Exit 0 when all hold, 1 with one line per violation otherwise. ctest runs it
(SourceRules.*); run it by hand from anywhere: scripts/check-source-rules.py.
"""
import argparse
import pathlib
import re
import shutil
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
MAX_FILE_LINES = 600
MAX_FUNCTION_LINES = 120
# Spelt in pieces so that this file does not itself name them.
OUTSIDE_DOCUMENTS = re.compile("|".join([r"REFER" + r"ENCE\.md", r"DES" + r"IGN\.md", r"ENVIRON" + r"MENT\.md",
                                         r"\.\./" + r"shared\b"]))
CPP_SUFFIXES = {".cc", ".h", ".cpp", ".hpp"}

# Which rooms a room may include from (besides itself). A room is a library's
# concern folder (planner/model), a whole library without folders (gui, cli),
# or backend/public (its four public headers). Lowest first.
PLANNER = ["base", "model", "plan", "cost", "loss", "io", "search", "runs", "export"]
ALLOWED = {
    "planner/base": set(),
    "planner/model": {"planner/base"},
    "planner/plan": {"planner/base", "planner/model"},
    "planner/cost": {"planner/base", "planner/model", "planner/plan"},
    "planner/loss": {"planner/base", "planner/model", "planner/plan", "planner/cost"},
    "planner/io": {"planner/base", "planner/model", "planner/plan", "planner/cost", "planner/loss"},
    "planner/search": {"planner/" + r for r in ["base", "model", "plan", "cost", "loss", "io"]},
    "planner/runs": {"planner/" + r for r in ["base", "model", "plan", "cost", "loss", "io"]},
    "planner/export": {"planner/" + r for r in ["base", "model", "plan", "cost", "io"]},
}
PLANNER_ALL = {"planner/" + r for r in PLANNER}
ALLOWED.update({
    "simulator/carbon": PLANNER_ALL,
    "simulator/iteration": PLANNER_ALL,
    "simulator/run": PLANNER_ALL | {"simulator/carbon", "simulator/iteration"},
})
SIMULATOR_ALL = {"simulator/carbon", "simulator/iteration", "simulator/run"}
BACKEND_LOW = {"backend/device", "backend/data", "backend/comm"}
ALLOWED.update({
    "backend/device": PLANNER_ALL,
    "backend/kernels": {"backend/device"},  # and LibTorch, oneDNN
    "backend/data": PLANNER_ALL | {"backend/device"},
    "backend/comm": PLANNER_ALL | {"backend/device", "backend/public"},
    "backend/model": PLANNER_ALL | {"backend/device"},
    "backend/parallel": PLANNER_ALL | BACKEND_LOW | {"backend/model", "backend/public"},
    "backend/step": PLANNER_ALL | BACKEND_LOW | {"backend/kernels", "backend/model", "backend/parallel",
                                                 "backend/public"},
    "backend/checkpoint": PLANNER_ALL | BACKEND_LOW | {"backend/model", "backend/parallel", "backend/public"},
    "backend/run": PLANNER_ALL | BACKEND_LOW | {"backend/model", "backend/parallel", "backend/step",
                                                "backend/checkpoint", "backend/export", "backend/public"},
    "backend/export": PLANNER_ALL | BACKEND_LOW | {"backend/model", "backend/parallel", "backend/checkpoint",
                                                   "backend/public"},
    "backend/probe": PLANNER_ALL | {"backend/device", "backend/kernels", "backend/model", "backend/step",
                                    "backend/public"},
    "backend/public": PLANNER_ALL,
    "backend/tools": PLANNER_ALL | BACKEND_LOW | {"backend/public", "backend/run", "backend/model", "backend/export"},
    "gui": PLANNER_ALL | SIMULATOR_ALL,
    "cli": PLANNER_ALL | SIMULATOR_ALL | {"backend/public"},
})


def room_of(relative):
    """The room a source file is in, or None for tests, benchmarks and anything outside the libraries."""
    parts = relative.split("/")
    if parts[0] in ("planner", "simulator") and len(parts) > 3:
        return f"{parts[0]}/{parts[4] if parts[1] == 'include' else parts[2]}" if len(parts) > 4 or \
            parts[1] == "src" else None
    if parts[0] == "backend":
        if parts[1] == "include":
            return "backend/public"
        if parts[1] == "tools":
            return "backend/tools"
        return f"backend/{parts[2]}" if len(parts) > 3 else None
    if parts[0] in ("gui", "cli"):
        return parts[0]
    return None


def room_included(include, room):
    """The room an #include "..." of a file in `room` points into, or None (system, same-folder or test helpers)."""
    parts = include.split("/")
    if parts[0] == "sprout" and len(parts) >= 3:
        if parts[1] == "backend":
            return "backend/public"
        if parts[1] == "gui":
            return "gui"
        if parts[1] in ("planner", "simulator") and len(parts) >= 4:
            return f"{parts[1]}/{parts[2]}"
        return None
    library = room.split("/")[0]
    if len(parts) == 2 and library in ("planner", "simulator", "backend"):
        return f"{library}/{parts[0]}"
    return None


def layering_violations(files):
    out = []
    for f in files:
        rel = str(f.relative_to(ROOT))
        room = room_of(rel)
        if room is None:
            continue
        if room not in ALLOWED:
            out.append(f"{rel}: room {room} is not in the layering table (scripts/check-source-rules.py)")
            continue
        for n, line in enumerate(f.read_text(errors="replace").splitlines(), 1):
            m = re.match(r'\s*#\s*include\s+"([^"]+)"', line)
            if not m:
                continue
            target = room_included(m.group(1), room)
            if target and target != room and target not in ALLOWED[room]:
                out.append(f"{rel}:{n}: {room} includes {m.group(1)} from {target}, "
                           f"which it may not (docs/architecture.md \"Dependencies\")")
    return out


def tracked_files():
    """The checkout's files (git's view: tracked and untracked-but-not-ignored; else every file outside build
    folders and .git, for a source tree that is not a git checkout)."""
    try:
        out = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                             capture_output=True, check=True).stdout.decode()
        return [ROOT / f for f in out.split("\0") if f and (ROOT / f).is_file()]
    except (OSError, subprocess.CalledProcessError):
        skip = {".git", "build", "out", "runs", ".cache"}
        return [f for f in ROOT.rglob("*") if f.is_file() and not skip & set(f.relative_to(ROOT).parts)]


def strip_comments_and_strings(text):
    """Blanks comments, string and char literals (keeping newlines) so braces inside them do not count."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append("\n" * text.count("\n", i, j))
            i = j
        elif text.startswith('R"', i):
            m = re.match(r'R"([^(\s]*)\(', text[i:])
            if not m:
                out.append(c)
                i += 1
                continue
            end = ")" + m.group(1) + '"'
            j = text.find(end, i + m.end())
            j = n if j < 0 else j + len(end)
            out.append('""' + "\n" * text.count("\n", i, j))
            i = j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            out.append(c + c)
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


CONTROL = re.compile(r"\b(if|for|while|switch|catch|do|else|try)\b\s*(\(.*\))?\s*$", re.S)
NON_FUNCTION = re.compile(r"\b(namespace|class|struct|union|enum)\b|=\s*$|\breturn\b|^\s*\[", re.S)


def long_functions(path):
    """(name, first line, lines) of every outermost function body longer than the limit."""
    text = strip_comments_and_strings(path.read_text(errors="replace"))
    found = []
    stack = []  # per open brace: (kind, start line)
    last_boundary = 0
    line = 1
    for i, c in enumerate(text):
        if c == "\n":
            line += 1
        elif c == "{":
            head = text[last_boundary:i]
            inside_function = any(kind == "function" for kind, _, _ in stack)
            kind = "block"
            if not inside_function and ")" in head and not CONTROL.search(head.strip()) and \
                    not NON_FUNCTION.search(head.strip()):
                kind = "function"
            # The signature starts at the first non-blank line of the head.
            stripped = head.lstrip("\n ;")
            start = line - stripped.count("\n")
            stack.append((kind, start, stripped.strip().split("(")[0].split()[-1] if kind == "function" else ""))
            last_boundary = i + 1
        elif c == "}":
            if stack:
                kind, start, name = stack.pop()
                if kind == "function" and line - start + 1 > MAX_FUNCTION_LINES:
                    found.append((name, start, line - start + 1))
            last_boundary = i + 1
        elif c == ";":
            last_boundary = i + 1
    return found


def clang_format_violations(files):
    exe = shutil.which("clang-format")
    if not exe:
        return ["clang-format not installed (scripts/install-deps.sh installs it)"]
    # Many files a clang-format process (one process a file took a minute of
    # the 2-core CI machine); it goes on past a bad file, naming each
    # violation "path:line:col: error: ...".
    relative = [str(f.relative_to(ROOT)) for f in files]
    first_violation = {}
    for start in range(0, len(relative), 200):
        chunk = relative[start:start + 200]
        p = subprocess.run([exe, "--dry-run", "--Werror", "--style=file", *chunk], cwd=ROOT, capture_output=True,
                           text=True)
        if p.returncode == 0:
            continue
        named = False
        for line in p.stderr.splitlines():
            path = line.split(":", 1)[0]
            if path in chunk and ("error" in line or "warning" in line):
                first_violation.setdefault(path, line.strip())
                named = True
        if not named:
            first_violation.setdefault(chunk[0] + " (or another of its batch)", p.stderr.strip() or "failed")
    return [f"{path}: not formatted as .clang-format says ({first}); run clang-format -i on it"
            for path, first in first_violation.items()]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rule", choices=["size", "outside-documents", "format", "layering", "all"], default="all")
    args = ap.parse_args()
    files = tracked_files()
    cpp = [f for f in files if f.suffix in CPP_SUFFIXES]
    problems = []
    if args.rule in ("size", "all"):
        for f in cpp:
            n = f.read_text(errors="replace").count("\n")
            if n > MAX_FILE_LINES:
                problems.append(f"{f.relative_to(ROOT)}: {n} lines (at most {MAX_FILE_LINES})")
            for name, start, length in long_functions(f):
                problems.append(f"{f.relative_to(ROOT)}:{start}: function {name}: {length} lines "
                                f"(at most {MAX_FUNCTION_LINES})")
    if args.rule in ("outside-documents", "all"):
        for f in files:
            if f.suffix in {".png", ".bin", ".gz", ".dz"}:
                continue
            try:
                text = f.read_text()
            except (UnicodeDecodeError, OSError):
                continue
            for n, l in enumerate(text.splitlines(), 1):
                if OUTSIDE_DOCUMENTS.search(l):
                    problems.append(f"{f.relative_to(ROOT)}:{n}: names a document outside the repository: "
                                    f"{l.strip()[:100]}")
    if args.rule in ("layering", "all"):
        problems += layering_violations(cpp)
    if args.rule in ("format", "all"):
        problems += clang_format_violations(cpp)
    for p in problems:
        print(p)
    print(f"source rules ({args.rule}): {len(cpp)} C++ files, {len(files)} files, {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
