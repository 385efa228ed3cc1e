#!/usr/bin/python3
"""Results history and plots for bench/run.py.

save(): every run's results go to --out (results/latest.json, or
latest-quick.json for `make bench-quick`) and to a copy named by date,
commit and kind beside it (results/20261204T1305Z-6c46fe4-quick.json), so a
regression shows as a change between files.

draw(): with gnuplot (Debian's gnuplot-nox), SVGs of the run's task-start
latency distribution (RunTask -> RUNNING beside the bare runtime, as a
cumulative distribution) and of placement rate against instance count.

    /usr/bin/python3 bench/plot.py results/FILE.json [--plots DIR]

redraws the plots from a kept file."""
import argparse
import json
import os
import re
import shutil
import subprocess
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def history_name(data):
    m = data["machine"]
    stamp = re.sub(r"[^0-9]", "", m["date"])  # "2026-12-04 13:05 UTC" -> 202612041305
    kind = "smoke" if data.get("smoke") else "quick" if data.get("quick") else "full"
    commit = re.sub(r"[^0-9a-zA-Z+]", "", m["commit"]) or "unknown"
    return "%sT%sZ-%s-%s.json" % (stamp[:8], stamp[8:12], commit, kind)


def save(data, out):
    """Writes `out` and the history copy beside it; returns the copy's path."""
    d = os.path.dirname(os.path.abspath(out))
    os.makedirs(d, exist_ok=True)
    with open(out, "w") as f:
        json.dump(data, f, indent=1)
    keep = os.path.join(d, history_name(data))
    if os.path.abspath(keep) != os.path.abspath(out):
        shutil.copyfile(out, keep)
    return keep


def _cdf_rows(xs):
    xs = sorted(xs)
    return ["%.3f %.4f" % (x, (k + 1) / len(xs)) for k, x in enumerate(xs)]


def _gnuplot(script, tmp):
    path = os.path.join(tmp, "plot.gp")
    with open(path, "w") as f:
        f.write(script)
    subprocess.run(["gnuplot", path], check=True, timeout=60)


def _title(data):
    m = data["machine"]
    return "%s, commit %s, %s CPUs (shared host)" % (m["date"], m["commit"], m["nproc"])


def draw_task_start(data, tmp, svg):
    series = []  # (title, samples)
    seen_refs = set()
    for f in data["figures"]:
        if f["bench"] != "task_start" or "samples" not in f:
            continue
        series.append(("berth " + f["name"].split(", ", 1)[1], f["samples"]))
        r = f.get("reference", {})
        if r.get("samples") and r["name"] not in seen_refs:
            seen_refs.add(r["name"])
            series.append((r["name"], r["samples"]))
    if not series:
        return None
    plots = []
    for k, (title, xs) in enumerate(series):
        dat = os.path.join(tmp, "start%d.dat" % k)
        with open(dat, "w") as f:
            f.write("\n".join(_cdf_rows(xs)) + "\n")
        plots.append("'%s' using 1:2 with steps lw 2 title '%s (n=%d)'" % (dat, title.replace("'", ""), len(xs)))
    _gnuplot("set terminal svg size 800,450 dynamic font 'sans,11'\nset output '%s'\n"
             "set title 'Task start: RunTask -> RUNNING vs bare runtime create+start\\n{/*0.8 %s}'\n"
             "set xlabel 'ms'\nset ylabel 'fraction of starts'\nset yrange [0:1]\nset grid\n"
             "set key bottom right\nplot %s\n" % (svg, _title(data), ", ".join(plots)), tmp)
    return svg


def draw_placement(data, tmp, svg):
    by_strategy = {}  # strategy -> {instances: tasks/s}
    for f in data["figures"]:
        m = re.match(r"RunTask placements/s, (\d+) instances, (.+)$", f["name"])
        if f["bench"] == "placement" and m:
            by_strategy.setdefault(m.group(2), {})[int(m.group(1))] = f["median"]
    if not by_strategy:
        return None
    plots = []
    for k, (strategy, pts) in enumerate(sorted(by_strategy.items())):
        dat = os.path.join(tmp, "place%d.dat" % k)
        with open(dat, "w") as f:
            f.write("\n".join("%d %.1f" % (n, pts[n]) for n in sorted(pts)) + "\n")
        plots.append("'%s' using 1:2 with linespoints lw 2 pt 7 title 'RunTask count 10, %s'" % (dat, strategy))
    _gnuplot("set terminal svg size 800,450 dynamic font 'sans,11'\nset output '%s'\n"
             "set title 'Placement rate vs hollow instances (%d clients)\\n{/*0.8 %s}'\n"
             "set xlabel 'instances'\nset ylabel 'tasks placed per second'\nset yrange [0:*]\n"
             "set xrange [0:*]\nset grid\nset key bottom right\nplot %s\n"
             % (svg, data["config"].get("clients", 0), _title(data), ", ".join(plots)), tmp)
    return svg


def draw(data, results_dir, plots_dir):
    """SVGs of this run (task_start.svg, placement.svg, with -quick before
    .svg for make bench-quick); returns the paths written.  No gnuplot: none."""
    del results_dir  # the run's data is passed in; kept files are redrawn by main()
    if not shutil.which("gnuplot"):
        print("  note: gnuplot not found (apt-get install gnuplot-nox): no plots")
        return []
    os.makedirs(plots_dir, exist_ok=True)
    suffix = "-quick" if data.get("quick") else ""
    out = []
    with tempfile.TemporaryDirectory(prefix="berth-plot-") as tmp:
        for name, fn in (("task_start", draw_task_start), ("placement", draw_placement)):
            svg = fn(data, tmp, os.path.join(plots_dir, name + suffix + ".svg"))
            if svg:
                out.append(svg)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("results", help="a results JSON file (bench/results/*.json)")
    ap.add_argument("--plots", default=os.path.join(HERE, "plots"))
    args = ap.parse_args()
    with open(args.results) as f:
        data = json.load(f)
    for svg in draw(data, os.path.dirname(os.path.abspath(args.results)), args.plots):
        print("plotted %s" % svg)


if __name__ == "__main__":
    main()
