#!/usr/bin/env python3
"""No import circles between the modules of a crate (ARCHITECTURE.md "The dependency rule").

For each crate's src/ folder, a top-level module (a file or a folder) depends on another when
its code names `crate::other` (comments aside; test modules may reach across). The modules that
depend on each other, directly or around a circle, are the strongly connected components of that
graph: any with more than one module is printed and the script exits 1. Run with --self-test to
see it find a circle it is given.
"""
import os
import re
import sys
import tempfile

CRATES = [
    "crates/mimi/src", "crates/sqlite/src", "crates/hub/src", "crates/client/src",
    "crates/cli/src", "crates/load/src", "src-tauri/src",
]


def modules(src_root):
    deps = {}
    for dirpath, _, files in os.walk(src_root):
        if os.sep + "tests" in dirpath[len(src_root):]:
            continue
        for f in files:
            if not f.endswith(".rs") or f == "tests.rs":
                continue
            rel = os.path.relpath(os.path.join(dirpath, f), src_root)
            top = rel.split(os.sep)[0].removesuffix(".rs")
            if top in ("lib", "main"):
                continue
            with open(os.path.join(dirpath, f), encoding="utf-8") as fh:
                text = re.sub(r"//[^\n]*", "", fh.read())
            text = re.sub(r"(?s)#\[cfg\(test\)\]\s*mod tests \{.*", "", text)
            refs = set(re.findall(r"\bcrate::([a-z_][a-z0-9_]*)", text))
            for group in re.findall(r"\bcrate::\{([^}]*)\}", text):
                refs.update(re.findall(r"\b([a-z_][a-z0-9_]*)\b", group))
            deps.setdefault(top, set()).update(r for r in refs if r != top)
    return deps


def circles(deps):
    """Tarjan's strongly connected components with more than one module."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(deps.get(v, ())):
            if w not in deps:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(deps):
        if v not in index:
            visit(v)
    return out


def check(roots):
    found = False
    for root in roots:
        deps = modules(root)
        for comp in circles(deps):
            found = True
            print(f"{root}: these modules depend on each other: {', '.join(comp)}")
            for m in comp:
                print(f"    {m} -> {', '.join(sorted(d for d in deps[m] if d in comp))}")
    return found


def self_test():
    with tempfile.TemporaryDirectory() as d:
        for name, body in [("a.rs", "use crate::b::B;"), ("b.rs", "fn f() { crate::a::g() }"),
                           ("c.rs", "use crate::a;")]:
            with open(os.path.join(d, name), "w", encoding="utf-8") as fh:
                fh.write(body)
        assert circles(modules(d)) == [["a", "b"]], "the self-test circle was not found"
    print("self-test: a circle a <-> b is found")


if __name__ == "__main__":
    if sys.argv[1:] == ["--self-test"]:
        self_test()
        sys.exit(0)
    if check(sys.argv[1:] or CRATES):
        sys.exit(1)
    print("no import circles between modules")
