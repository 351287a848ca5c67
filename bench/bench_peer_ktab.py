"""Benchmark: ``detente forecast FILE --model spatial`` against KTAB's own ``smpc``, whole process.

Run: ``.venv/bin/python bench/bench_peer_ktab.py --smpc PATH/TO/smpc [--repeat 5]
[--cases SOE-Pol-Comp,dummyData-a040,dummyData-a080]`` (or set ``KTAB_SMPC``).

Both programs read the same KTAB CSV (``../shared/reference/ktab``) and run the Spatial Model
of Politics to its stopping rule, each as a fresh process, as a user runs them: KTAB as
``smpc --logmin --csv FILE --connstr "Driver=QSQLITE;Database=…"`` (``--logmin``: KTAB's least
logging, scenario information and position histories; smpc needs a database, a fresh SQLite
file in a temporary folder each run), detente as ``detente forecast FILE --model spatial``
(its default table output). The runs are interleaved case by case and round by round, the
order of the two programs alternating, so a change in the machine's load hits both alike; the
median and best wall times and the median ratio (KTAB / detente: above 1, detente is faster)
are reported. Without smpc the benchmark says so and exits 0.

Building smpc (KTAB, MIT licence: https://github.com/KAPSARC/KTAB, examples/smp), on Debian 12::

    apt-get install -y cmake g++ qtbase5-dev libqt5sql5-sqlite libtinyxml2-dev \\
        libsqlite3-dev libeasyloggingpp-dev
    git clone https://github.com/KAPSARC/KTAB && cd KTAB   # K=$PWD
    # easylogging++ as KTAB builds it (its CMakeLists.txt, Debian's 9.97 sources)
    mkdir -p easyloggingpp/src
    cp /usr/include/easylogging++.h /usr/include/easylogging++.cc easyloggingpp/src/
    cmake -S easyloggingpp -B easyloggingpp/build -DCMAKE_BUILD_TYPE=Release \\
        -DCMAKE_INSTALL_PREFIX=$K/prefix
    cmake --build easyloggingpp/build && cmake --install easyloggingpp/build
    FIND="-DCMAKE_INCLUDE_PATH=$K/prefix/include -DCMAKE_LIBRARY_PATH=$K/prefix/lib"
    for d in kutils kmodel; do
      cmake -S KTAB/$d -B KTAB/$d/build -DCMAKE_BUILD_TYPE=Release $FIND
      cmake --build KTAB/$d/build --target $d
    done
    # smp's library links Qt5::Widgets, which only the GUI's find_package brings in
    sed -i 's/COMPONENTS Core Sql)$/COMPONENTS Core Sql Widgets)/' examples/smp/CMakeLists.txt
    cmake -S examples/smp -B examples/smp/build $FIND -DCMAKE_CXX_FLAGS=-O2 \\
        -DENABLE_QT_SMPQ_GUI=false -DENABLE_QT_SASQ_GUI=false
    cmake --build examples/smp/build --target smpc       # -> examples/smp/smpc

examples/smp/CMakeLists.txt fixes ``CMAKE_BUILD_TYPE`` to Debug (``-g``, no optimisation);
``-DCMAKE_CXX_FLAGS=-O2`` gives KTAB the optimised build a fair comparison needs (kutils and
kmodel are built Release). A build made so reproduces the reference run shipped in
``../shared/reference/ktab/SOE-Pol-Comp.expected.json`` (28 states; every actor's winning
probability at every state, to KTAB's four printed digits): ``--check`` verifies it first.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KTAB = ROOT.parent / "shared" / "reference" / "ktab"
#: the installed console script, as a user runs it
DETENTE = [str(Path(sys.executable).with_name("detente"))]
CASES = ("SOE-Pol-Comp", "dummyData-a040", "dummyData-a080")


def smpc_command(smpc: str, csv: Path, workdir: Path) -> list[str]:
    db = workdir / "ktab"
    for old in workdir.glob("ktab*.db"):
        old.unlink()
    return [smpc, "--logmin", "--csv", str(csv), "--connstr", f"Driver=QSQLITE;Database={db}"]


def wall(cmd: list[str], cwd: Path) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - t0


def check_reference(smpc: str, workdir: Path) -> None:
    """Exit 1 unless this smpc reproduces the shipped SOE-Pol-Comp reference run."""
    ref = json.loads((KTAB / "SOE-Pol-Comp.expected.json").read_text())
    proc = subprocess.run(
        smpc_command(smpc, KTAB / "SOE-Pol-Comp.csv", workdir),
        cwd=workdir,
        capture_output=True,
        text=True,
        check=True,
    )
    probs = {
        m.group(1): [float(v) for v in m.group(2).split()]
        for m in re.finditer(r"\] (\S+), prob : ([0-9. ]+)", proc.stdout)
    }
    expected = {
        actor: [round(p, 4) for p in values]
        for actor, values in ref["winning_probability_by_actor_state"].items()
    }
    if probs != expected:
        sys.exit("smpc does not reproduce SOE-Pol-Comp.expected.json: check the build")
    print(f"smpc reproduces the reference run ({len(probs)} actors x {ref['states']} states)\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--smpc", default=os.environ.get("KTAB_SMPC"), help="KTAB's smpc binary")
    ap.add_argument("--repeat", type=int, default=5, help="interleaved rounds per case")
    ap.add_argument("--cases", default=",".join(CASES), help="KTAB CSVs (names without .csv)")
    ap.add_argument("--check", action="store_true", help="first check smpc against the reference")
    args = ap.parse_args()
    smpc = args.smpc and shutil.which(args.smpc)
    if not smpc:
        print(
            "skipped: KTAB's smpc not found (pass --smpc PATH or set KTAB_SMPC; the build steps "
            "are in this file's docstring)"
        )
        return
    if not KTAB.is_dir():
        print(f"skipped: the KTAB reference inputs are not at {KTAB}")
        return
    cases = [c.strip() for c in args.cases.split(",") if c.strip()]
    with tempfile.TemporaryDirectory(prefix="bench-ktab-") as tmp:
        work = Path(tmp)
        if args.check:
            check_reference(smpc, work)
        times: dict[str, dict[str, list[float]]] = {c: {"ktab": [], "detente": []} for c in cases}
        for r in range(args.repeat):
            for case in cases:
                csv = KTAB / f"{case}.csv"
                runs = {
                    "ktab": lambda csv=csv: wall(smpc_command(smpc, csv, work), work),
                    "detente": lambda csv=csv: wall(
                        [*DETENTE, "forecast", str(csv), "--model", "spatial"], work
                    ),
                }
                order = ("ktab", "detente") if r % 2 == 0 else ("detente", "ktab")
                for tool in order:
                    times[case][tool].append(runs[tool]())
                    print(
                        f"  round {r + 1} {case} {tool}: {times[case][tool][-1]:.3f} s", flush=True
                    )
    print(f"\nwhole-process wall time, {args.repeat} interleaved rounds (s)\n")
    print(
        f"{'case':16} {'KTAB med':>9} {'best':>7} {'detente med':>12} {'best':>7} "
        f"{'KTAB/detente':>13}"
    )
    for case in cases:
        k, d = times[case]["ktab"], times[case]["detente"]
        ratios = [a / b for a, b in zip(k, d, strict=True)]
        print(
            f"{case:16} {statistics.median(k):9.3f} {min(k):7.3f} {statistics.median(d):12.3f} "
            f"{min(d):7.3f} {statistics.median(ratios):12.2f}x"
        )


if __name__ == "__main__":
    main()
