#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The report of `make icount`: guest instructions per I/O for each target, from the plugin's
counts (counts.txt) and the guest's description of its windows and symbols (guest.txt).

Writes results.md in the results folder and prints a one-line summary. Each window's kernel
blocks are charged to the text symbol at or below their start address; "object" is the
module a symbol belongs to, [kernel] for the core kernel, [user] for all of user space.

    icount-report.py DIR
    icount-report.py DIR --annotate WINDOW SYMBOL_REGEX MODULE.ko

The second form prints the disassembly (binutils objdump) of the module's first symbol whose
name (demangled) matches, each instruction with the times it ran per I/O in that window.
"""

import bisect
import collections
import re
import statistics
import subprocess
import sys
from pathlib import Path

TOP_SYMBOLS = 12


def parse_guest(path):
    windows, syms, info = {}, [], {}
    for line in path.read_text(errors="replace").splitlines():
        f = line.split()
        if not f:
            continue
        if f[0] == "@@I" and f[1] == "window":
            # window N DEV CIPHER SS FLAGS DIR TARGET REP IOS
            n = int(f[2])
            windows[n] = dict(cell=tuple(f[3:7]), dir=f[7], target=f[8], rep=int(f[9]), ios=int(f[10]))
        elif f[0] == "@@I" and len(f) >= 3:
            info[f[1]] = " ".join(f[2:])
        elif f[0] == "@@K" and len(f) >= 4:
            mod = f[4].strip("[]") if len(f) >= 5 else "[kernel]"
            syms.append((int(f[1], 16), f[3], mod))
    syms.sort()
    return windows, syms, info


def demangle(syms):
    """Rust symbol names made readable by binutils' c++filt (crate hashes left out)."""
    names = sorted({s[1] for s in syms if s[1].startswith("_R")})
    try:
        out = subprocess.run(["c++filt"], input="\n".join(names), capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return syms
    plain = dict(zip(names, (re.sub(r"\[[0-9a-f]{16}\]", "", n) for n in out.splitlines())))
    return [(a, plain.get(n, n), m) for a, n, m in syms]


def parse_counts(path):
    counts = {}
    cur = None
    for line in path.read_text().splitlines():
        f = line.split()
        if f[0] == "W":
            cur = counts[int(f[1])] = dict(total=int(f[2]), user=int(f[3]), blocks=[])
        else:
            cur["blocks"].append((int(f[0], 16), int(f[1])))
            if len(f) > 2:
                cur.setdefault("lens", {})[int(f[0], 16)] = int(f[2])
    return counts


def charge(blocks, syms):
    """Per (symbol, object) instruction counts of one window's kernel blocks."""
    addrs = [s[0] for s in syms]
    by_sym = collections.Counter()
    for addr, n in blocks:
        i = bisect.bisect_right(addrs, addr) - 1
        key = (syms[i][1], syms[i][2]) if i >= 0 else ("?", "[kernel]")
        by_sym[key] += n
    return by_sym


def annotate(out, window, pattern, ko):
    windows, syms, _ = parse_guest(out / "guest.txt")
    plain = demangle(syms)
    counts = parse_counts(out / "counts.txt")[window]
    ios = windows[window]["ios"]
    match = [(s, p) for s, p in zip(syms, plain) if re.search(pattern, p[1])]
    if not match:
        sys.exit(f"icount-report: no symbol matches {pattern}")
    (start, name, _), (_, pname, mod) = match[0]
    end = next((s[0] for s in syms if s[0] > start), start + (1 << 20))
    # Executions per instruction: a block of LEN instructions counted COUNT ran COUNT/LEN times.
    runs = {}
    for addr, n in counts["blocks"]:
        if start <= addr < end:
            runs[addr - start] = n / counts.get("lens", {}).get(addr, 1) / ios
    dis = subprocess.run(["objdump", "-d", "-r", "--no-show-raw-insn", f"--disassemble={name}", ko],
                         capture_output=True, text=True, check=True).stdout
    base, left, each = None, 0, 0.0
    print(f"{pname} [{mod}], window {window} ({' '.join(windows[window]['cell'])} "
          f"{windows[window]['dir']} {windows[window]['target']}): runs per I/O")
    for line in dis.splitlines():
        h = re.match(r"([0-9a-f]+) <", line)
        if h:
            base = int(h.group(1), 16)
            continue
        m = re.match(r"\s+([0-9a-f]+):\s", line)
        if not m or base is None:
            continue
        if "R_X86_64" in line:
            # A relocation: the call or data it names, if it lies within the symbol.
            if int(m.group(1), 16) >= base:
                print(" " * 8 + "        -> " + line.split("\t")[-1])
            continue
        off = int(m.group(1), 16) - base
        if off in runs:
            left, each = counts.get("lens", {}).get(start + off, 1), runs[off]
        mark = f"{each:7.2f} " if left > 0 else " " * 8
        left -= 1
        print(mark + f"+0x{off:<5x}" + line.split(":", 1)[1])


def main():
    if len(sys.argv) == 6 and sys.argv[2] == "--annotate":
        return annotate(Path(sys.argv[1]), int(sys.argv[3]), sys.argv[4], sys.argv[5])
    out = Path(sys.argv[1])
    windows, syms, info = parse_guest(out / "guest.txt")
    syms = demangle(syms)
    counts = parse_counts(out / "counts.txt")
    if not windows or not counts:
        sys.exit("icount-report: no windows counted (is the plugin loaded?)")
    if len(counts) != len(windows):
        sys.exit(f"icount-report: {len(counts)} windows counted, {len(windows)} described")

    # (cell, dir, target) -> list of (total per I/O, user per I/O, per-symbol per I/O)
    runs = collections.defaultdict(list)
    for n, w in sorted(windows.items()):
        c = counts[n]
        ios = w["ios"]
        per_sym = {k: v / ios for k, v in charge(c["blocks"], syms).items()}
        per_sym[("[user]", "[user]")] = c["user"] / ios
        runs[(w["cell"], w["dir"], w["target"])].append((c["total"] / ios, per_sym))

    cells = []
    for key in runs:
        ck = (key[0], key[1])
        if ck not in cells:
            cells.append(ck)

    def mean_sym(rs):
        acc = collections.Counter()
        for _, ps in rs:
            for k, v in ps.items():
                acc[k] += v / len(rs)
        return acc

    def by_obj(ps):
        acc = collections.Counter()
        for (_, obj), v in ps.items():
            acc[obj] += v
        return acc

    ios = next(iter(windows.values()))["ios"]
    md = [
        "# Guest instructions per I/O, dm-crypt-rs and dm-crypt",
        "",
        f"module {info.get('module', '?')}, kernel flavour {info.get('flavour', '?')}, "
        f"{ios} synchronous direct I/Os per window on brd, TCG single-threaded, all vCPUs "
        "counted (timer ticks and other background work in the window included).",
        "",
        "| cell | dir | C insns/I/O | Rust insns/I/O | Rust − C | Rust/C | spread over windows |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    detail = []
    ratios = []
    for cell, d in cells:
        c_runs, r_runs = runs.get((cell, d, "c"), []), runs.get((cell, d, "rs"), [])
        if not c_runs or not r_runs:
            continue
        c_tot = statistics.mean(t for t, _ in c_runs)
        r_tot = statistics.mean(t for t, _ in r_runs)
        ratios.append(r_tot / c_tot)
        spread = "C " + "/".join(f"{t:.0f}" for t, _ in c_runs) + ", Rust " + "/".join(f"{t:.0f}" for t, _ in r_runs)
        name = " ".join(cell)
        md.append(f"| {name} | {d} | {c_tot:.0f} | {r_tot:.0f} | {r_tot - c_tot:+.0f} | {r_tot / c_tot:.3f} | {spread} |")

        c_sym, r_sym = mean_sym(c_runs), mean_sym(r_runs)
        c_obj, r_obj = by_obj(c_sym), by_obj(r_sym)
        detail += ["", f"## {name} {d}", "", "| object | C | Rust | Rust − C |", "|---|---:|---:|---:|"]
        for obj in sorted(set(c_obj) | set(r_obj), key=lambda o: -(c_obj[o] + r_obj[o])):
            if c_obj[obj] + r_obj[obj] >= 1:
                detail.append(f"| {obj} | {c_obj[obj]:.0f} | {r_obj[obj]:.0f} | {r_obj[obj] - c_obj[obj]:+.0f} |")
        detail += ["", "| symbol | C | Rust | Rust − C |", "|---|---:|---:|---:|"]
        keys = set(c_sym) | set(r_sym)
        top = sorted(keys, key=lambda k: -abs(r_sym[k] - c_sym[k]))[:TOP_SYMBOLS]
        for k in top:
            sym = k[0] if k[1] in ("[kernel]", "[user]") else f"{k[0]} [{k[1]}]"
            sym = sym.replace("|", "\\|")
            detail.append(f"| {sym} | {c_sym[k]:.1f} | {r_sym[k]:.1f} | {r_sym[k] - c_sym[k]:+.1f} |")
        detail += ["", "Each target's own module, per symbol:", "", "| target | symbol | insns/I/O |", "|---|---|---:|"]
        for tgt, ps, mod in (("C", c_sym, "dm_crypt"), ("Rust", r_sym, "dm_crypt_rs")):
            for k in sorted((k for k in ps if k[1] == mod), key=lambda k: -ps[k]):
                if ps[k] >= 0.5:
                    name = k[0].replace("|", "\\|")
                    detail.append(f"| {tgt} | {name} | {ps[k]:.1f} |")

    md += detail
    (out / "results.md").write_text("\n".join(md) + "\n")
    if ratios:
        print(f"icount: {len(ratios)} cells, Rust/C instructions per I/O median "
              f"{statistics.median(ratios):.3f} (min {min(ratios):.3f}, max {max(ratios):.3f}); "
              f"{out / 'results.md'}")


if __name__ == "__main__":
    main()
