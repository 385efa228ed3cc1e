"""The SQL statements of the store's table files (src/server/store/*.c), as
the C compiler sees them: adjacent string literals joined, string macros
(#define NAME "..." or NAME OTHER "...") expanded.  Used to check that each
one translates for PostgreSQL and that PostgreSQL accepts it."""
import glob
import os
import re

TOKEN = re.compile(r'"(?:[^"\\\n]|\\.)*"|[A-Za-z_][A-Za-z0-9_]*|//[^\n]*|/\*.*?\*/|\s+|.', re.S)
DEFINE = re.compile(r'#define[ \t]+([A-Z_][A-Z0-9_]*)[ \t]+((?:[^\n\\]|\\\n)*)')
# Not table files: the engine's own SQL (store_pg*.c: PostgreSQL's already; store_copy.c:
# SQLite's catalogue read by `berth store migrate`, table names filled in).
SKIP = ("store.c", "store_schema.c", "store_sql_pg.c", "store_pg.c", "store_pg_schema.c", "store_pg_listen.c",
        "store_pg_leader.c", "store_copy.c")


def _literal(tok):
    return bytes(tok[1:-1], "utf-8").decode("unicode_escape")


def _string_macros(files):
    bodies = {}
    for f in files:
        with open(f) as fh:
            for m in DEFINE.finditer(fh.read()):
                bodies[m.group(1)] = m.group(2).replace("\\\n", " ")
    macros = {}
    for _ in range(5):  # macros made of macros
        for name, body in bodies.items():
            toks = [t for t in TOKEN.findall(body) if not t.isspace()]
            if toks and all(t.startswith('"') or t in macros for t in toks):
                macros[name] = "".join(_literal(t) if t.startswith('"') else macros[t] for t in toks)
    return macros


def statements(root):
    """[(file name, SQL)] for every statement the table files hold."""
    files = sorted(glob.glob(os.path.join(root, "src/server/store/*.[ch]")))
    macros = _string_macros(files)
    out = []
    for f in files:
        if f.endswith(".h") or os.path.basename(f) in SKIP:
            continue
        with open(f) as fh:
            text = DEFINE.sub("", fh.read())
        run, runs = [], []
        for tok in TOKEN.findall(text):
            if tok.startswith('"'):
                run.append(_literal(tok))
            elif tok in macros:
                run.append(macros[tok])
            elif not (tok.isspace() or tok.startswith("//") or tok.startswith("/*")):
                if run:
                    runs.append("".join(run))
                run = []
        for sql in runs:
            if re.match(r"\s*(SELECT|INSERT|UPDATE|DELETE|WITH)\b", sql) and not sql.rstrip().endswith("VALUES"):
                out.append((os.path.basename(f), sql))
    return out
