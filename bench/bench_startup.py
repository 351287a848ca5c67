"""Benchmark: whole-process start-up of the command line.

Run: ``.venv/bin/python bench/bench_startup.py [--repeat 15]``

Each command is run as its own process, the commands interleaved round by round so that a
change in the machine's load hits all of them alike; the median and the best wall time are
reported, and the median CPU time (user + system: on a shared machine the wall time measures
the other users' load as much as the command), with two simple references measured in the
same rounds: a bare interpreter (``python -c pass``) and the command-line toolkit alone
(``python -c "import typer, rich"``). The budget for ``detente --help`` and ``detente
validate`` is 0.3 s on the project's 2-core machine (issue 14); the budget column says whether
the median meets it.

It also prints which heavy libraries each command imports (``-X importtime``), so a
regression names its cause: scipy, pandas, pyarrow and plotly load only in commands that
compute with them, and ``validate`` loads no numpy, even of a scenario with a game (issue 19).
``detente forecast SOE-Pol-Comp.csv --model spatial`` is the command ``bench_peer_ktab.py``
holds against KTAB's ``smpc``: numpy is all it computes with.

Measure with compiled bytecode, as an installed package runs: with ``PYTHONDONTWRITEBYTECODE``
set, run ``python -m compileall -q src`` first, or every run compiles detente's modules anew.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KOREA = ROOT / "scenarios" / "korea-peace-declaration.yaml"
EMISSION = ROOT / "scenarios" / "ec-emission-standards-1994.yaml"
KTAB_SMALL = ROOT.parent / "shared" / "reference" / "ktab" / "SOE-Pol-Comp.csv"
#: the installed console script, as a user runs it
DETENTE = [str(Path(sys.executable).with_name("detente"))]
HEAVY = ("scipy", "pandas", "pyarrow", "plotly", "SALib", "ray", "fastapi", "pydantic", "numpy")
BUDGET = 0.3

COMMANDS: dict[str, list[str]] = {
    "python -c pass (reference)": [sys.executable, "-c", "pass"],
    "import typer, rich (reference)": [sys.executable, "-c", "import typer, rich.console"],
    "detente --help": [*DETENTE, "--help"],
    "detente validate korea": [*DETENTE, "validate", str(KOREA)],
    "detente validate ec": [*DETENTE, "validate", str(EMISSION)],
    "detente models": [*DETENTE, "models"],
    "detente forecast ec": [*DETENTE, "forecast", str(EMISSION)],
    "detente forecast SOE-Pol-Comp spatial": [
        *DETENTE,
        "forecast",
        str(KTAB_SMALL),
        "--model",
        "spatial",
    ],
}
if not KTAB_SMALL.exists():  # the shared folder is absent: the KTAB case is left out
    del COMMANDS["detente forecast SOE-Pol-Comp spatial"]
BUDGETED = {"detente --help", "detente validate korea", "detente validate ec"}


def run_once(cmd: list[str]) -> tuple[float, float]:
    """The wall time and the CPU time (user + system) of one run of ``cmd``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def heavy_imports(cmd: list[str]) -> list[str]:
    if cmd[:1] != DETENTE:
        return []
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", *cmd], capture_output=True, text=True, check=True
    )
    loaded = {
        line.split("|")[-1].strip().split(".")[0]
        for line in proc.stderr.splitlines()
        if line.startswith("import time:")
    }
    return [name for name in HEAVY if name in loaded]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=15)
    args = ap.parse_args()
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    cpu: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for cmd in COMMANDS.values():  # warm the file cache
        run_once(cmd)
    load = os.getloadavg()[0]
    for _ in range(args.repeat):
        for name, cmd in COMMANDS.items():
            wall, used = run_once(cmd)
            times[name].append(wall)
            cpu[name].append(used)
    ref = statistics.median(times["python -c pass (reference)"])
    print(
        f"whole-process wall time, {args.repeat} interleaved rounds (load average "
        f"{load:.1f} → {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs); CPU = user + system, "
        "which a shared machine's load disturbs less than the wall time\n"
    )
    print(
        f"{'command':38} {'median s':>9} {'best s':>8} {'CPU med s':>9} {'× python':>9}  budget"
        "  heavy imports"
    )
    for name, cmd in COMMANDS.items():
        med = statistics.median(times[name])
        verdict = ("ok" if med < BUDGET else "OVER") if name in BUDGETED else ""
        heavy = ", ".join(heavy_imports(cmd)) or "-"
        print(
            f"{name:38} {med:9.3f} {min(times[name]):8.3f} {statistics.median(cpu[name]):9.3f}"
            f" {med / ref:9.1f}  {verdict:6}  {heavy}"
        )


if __name__ == "__main__":
    main()
