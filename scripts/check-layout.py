#!/usr/bin/python3
"""check-layout.py - the shape rules of STYLE.md that a script can check.

  - no file over 800 lines, no function over 80 lines (tables are data,
    not functions, and are not counted);
  - no include cycle between folders below src/;
  - layers: common includes neither server nor agent; server and agent
    never include each other.

Prints each breach and exits 1 if there is any.  --report prints the
longest files and functions as well."""
import os
import re
import sys

MAX_FILE_LINES = 800
MAX_FUNCTION_LINES = 80
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'src')
INCLUDE = re.compile(r'^#include "([^"]+)"', re.M)
NAME = re.compile(r'([A-Za-z_][A-Za-z0-9_]*)\s*\(')


def sources():
    for dirpath, _, names in os.walk(ROOT):
        for n in sorted(names):
            if n.endswith(('.c', '.h')):
                path = os.path.join(dirpath, n)
                yield os.path.relpath(path, ROOT), open(path, encoding='utf-8').read()


def functions(text):
    """(name, first line, length) of each function definition: a body
    opened by '{' alone at column 0 and closed by '}' at column 0."""
    lines = text.split('\n')
    for i, line in enumerate(lines):
        if line != '{':
            continue
        head = ' '.join(lines[max(0, i - 4):i])
        names = NAME.findall(head)
        name = names[0] if names else '?'
        for j in range(i + 1, len(lines)):
            if lines[j].startswith('}'):
                yield name, i + 1, j - i + 1
                break


def folder_graph(files):
    edges = {}
    for rel, text in files:
        src = os.path.dirname(rel)
        for inc in INCLUDE.findall(text):
            dst = os.path.dirname(inc)
            if dst and dst != src and os.path.exists(os.path.join(ROOT, inc)):
                edges.setdefault(src, set()).add(dst)
    return edges


def cycles(edges):
    """Strongly connected components with more than one folder (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
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

    for v in sorted(set(edges) | {w for ws in edges.values() for w in ws}):
        if v not in index:
            visit(v)
    return out


def layer_of(folder):
    return folder.split('/')[0]


def main():
    report = '--report' in sys.argv
    files = list(sources())
    breaches = []
    sizes, funcs = [], []
    for rel, text in files:
        n = text.count('\n')
        sizes.append((n, rel))
        if n > MAX_FILE_LINES:
            breaches.append('%s: %d lines (limit %d)' % (rel, n, MAX_FILE_LINES))
        for name, line, length in functions(text):
            funcs.append((length, '%s:%d %s()' % (rel, line, name)))
            if length > MAX_FUNCTION_LINES:
                breaches.append('%s:%d: %s() is %d lines (limit %d)' % (rel, line, name, length, MAX_FUNCTION_LINES))
    edges = folder_graph(files)
    for comp in cycles(edges):
        breaches.append('include cycle between folders: ' + ' <-> '.join(comp))
    forbidden = {'common': {'server', 'agent', 'cli'}, 'server': {'agent', 'cli'}, 'agent': {'server', 'cli'}}
    for src, dsts in sorted(edges.items()):
        for dst in sorted(dsts):
            if layer_of(dst) in forbidden.get(layer_of(src), ()):
                breaches.append('layer breach: src/%s includes src/%s' % (src, dst))
    if report:
        print('longest files:')
        for n, rel in sorted(sizes, reverse=True)[:10]:
            print('  %5d %s' % (n, rel))
        print('longest functions:')
        for n, where in sorted(funcs, reverse=True)[:20]:
            print('  %5d %s' % (n, where))
        print('folder includes:')
        for src, dsts in sorted(edges.items()):
            print('  %s -> %s' % (src, ' '.join(sorted(dsts))))
    for b in breaches:
        print('check-layout: ' + b)
    if breaches:
        return 1
    print('check-layout: ok')
    return 0


if __name__ == '__main__':
    sys.exit(main())
