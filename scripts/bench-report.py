#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turns the guest benchmark's "@@B" lines (DIR/raw.txt) into DIR/results.md, DIR/chart.png
and DIR/summary.txt, and prints the one-line summary.

Per cell (device, cipher, sector size, flags, workload): the median, minimum and maximum
throughput of each target, the Rust/C ratio of the medians, the median of the paired ratios
(each repetition's Rust run over the C run next to it) with its 95% confidence interval, the
ratio of CPU time per byte, and the serial bound raw*cipher/(raw+cipher) from the same boot's
ceilings; and what each target cost the scheduler per I/O (context switches, rescheduling and
function-call IPIs).
"""

import math
import statistics
import sys
from collections import defaultdict
from pathlib import Path

SLOW = 0.97  # a cell below this ratio needs an explanation (issue: "more than 3% slower")
FORCED = ("mdulib", "mduapi")  # flag sets that force a path `auto` would not take here

WORKLOADS = {
    "rr4k1": "4k randread QD1",
    "rw4k1": "4k randwrite QD1",
    "rr4k32": "4k randread QD32x2",
    "rw4k32": "4k randwrite QD32x2",
    "sr1m8": "1M read QD8",
    "sw1m8": "1M write QD8",
}
BLOCK_KIB = {"sr1m8": 1024, "sw1m8": 1024}  # the others move 4 KiB per I/O


def parse(path):
    info, cipher, raw, runs, notes = {}, {}, defaultdict(list), defaultdict(list), []
    profile = [line[4:] for line in path.read_text(errors="replace").splitlines()
               if line.startswith("@@P ")]
    if profile:
        (path.parent / "profile.txt").write_text("\n".join(profile) + "\n")
    boot = 1
    for line in path.read_text(errors="replace").splitlines():
        if not line.startswith("@@B "):
            continue
        f = line.split()[1:]
        kind = f[0]
        if kind == "boot":
            boot = int(f[1])
        elif kind == "info":
            info[f[1]] = " ".join(f[2:])
        elif kind == "cipher":
            cipher[f[1]] = (float(f[2]), float(f[3]))
        elif kind == "raw":
            raw[(f[1], f[2])].append(run_figures(f[2], f[4:]))
        elif kind == "run":
            dev, ciph, ss, flags, wl, target = f[1:7]
            figs = run_figures(wl, f[8:])
            figs["rep"] = (boot, int(f[7]))
            runs[(dev, ciph, ss, flags, wl, target)].append(figs)
        elif kind == "dmesg":
            notes.append(" ".join(f[1:]))
        elif kind == "path":
            # Each boot logs the same paths again.
            path_line, paths = " ".join(f[1:]), info.setdefault("paths", [])
            if path_line not in paths:
                paths.append(path_line)
    info["boots"] = boot
    return info, cipher, raw, runs, notes


def run_figures(wl, f):
    kib_s, io_kib, busy = (float(x) for x in f[:3])
    r = {"mib_s": kib_s / 1024.0, "cpu_per_gib": busy * 10.0 / max(io_kib / 1048576.0, 1e-9)}
    if len(f) >= 6:
        # Context switches, rescheduling IPIs, function-call IPIs, per I/O of the workload.
        ios = max(io_kib / BLOCK_KIB.get(wl, 4), 1.0)
        r.update(zip(("ctxt", "res", "cal"), (float(x) / ios for x in f[3:6])))
    return r


def median_ci(vals):
    """The median of vals and its distribution-free 95% confidence interval (order statistics
    of the binomial sign test), or None for the interval with fewer than 6 values."""
    xs = sorted(vals)
    n = len(xs)
    # The largest k with P(Binomial(n, 1/2) < k) <= 2.5%: the interval is [x_k, x_(n+1-k)].
    k, below = 0, 0.0
    while k < n:
        below_next = below + math.comb(n, k) / 2.0 ** n
        if below_next > 0.025:
            break
        below, k = below_next, k + 1
    ci = (xs[k - 1], xs[n - k]) if k >= 1 else None
    return statistics.median(xs), ci


def paired(c, rs):
    """Rust over C for each repetition, the two runs of a repetition being next to each other
    in time: slow drifts of the host's speed cancel in the ratio."""
    by_rep = {x["rep"]: x["mib_s"] for x in c}
    return [x["mib_s"] / by_rep[x["rep"]] for x in rs if by_rep.get(x["rep"])]


def med(rows, key):
    vals = [r[key] for r in rows]
    return statistics.median(vals), min(vals), max(vals)


def main():
    out = Path(sys.argv[1])
    info, cipher, raw, runs, notes = parse(out / "raw.txt")
    reps, rounds = int(info.get("reps") or 0), int(info.get("rounds") or 1)

    def unit(run):
        """The (boot, round) a run belongs to."""
        boot, rep = run["rep"]
        return boot, (rep - 1) // reps
    cells = sorted({k[:5] for k in runs})
    rows = []
    for cell in cells:
        c, rs = runs.get(cell + ("c",)), runs.get(cell + ("rs",))
        if not c or not rs:
            continue
        dev, ciph, ss, flags, wl = cell
        cm, rm = med(c, "mib_s"), med(rs, "mib_s")
        ccpu, rcpu = med(c, "cpu_per_gib")[0], med(rs, "cpu_per_gib")[0]
        raw_m = med(raw[(dev, wl)], "mib_s")[0] if raw.get((dev, wl)) else None
        bound = raw_m
        if raw_m and ciph in cipher:
            enc, dec = cipher[ciph]
            speed = dec if wl.startswith(("rr", "sr")) else enc
            bound = raw_m * speed / (raw_m + speed)
        # With several boots or rounds (fresh devices each), the ratio of each one's medians.
        per_round = []
        if (rounds > 1 or info["boots"] > 1) and reps:
            for u in sorted({unit(x) for x in c}):
                rc = [x for x in c if unit(x) == u]
                rr = [x for x in rs if unit(x) == u]
                if rc and rr:
                    per_round.append(med(rr, "mib_s")[0] / med(rc, "mib_s")[0])
        sched = None
        if all("ctxt" in r for r in c + rs):
            sched = {k: (med(c, k)[0], med(rs, k)[0]) for k in ("ctxt", "res", "cal")}
        rows.append({
            "cell": cell, "c": cm, "rs": rm, "ratio": rm[0] / cm[0] if cm[0] else float("nan"),
            "cpu_ratio": rcpu / ccpu if ccpu else float("nan"), "raw": raw_m, "bound": bound,
            "sched": sched, "per_round": per_round, "paired": median_ci(paired(c, rs)),
        })
    if not rows:
        sys.exit("bench-report: no complete cell in %s" % (out / "raw.txt"))

    accel = info.get("accel", "?")
    # The targets are about the path a table takes by default. The flag sets that
    # force a multi-data-unit backend (an experiment: `auto` takes neither on x86) are
    # summed up apart.
    main = [r for r in rows if r["cell"][3] not in FORCED] or rows
    forced = [r for r in rows if r["cell"][3] in FORCED and r not in main]
    ratios = [r["ratio"] for r in main]
    slow = [r for r in main if r["ratio"] < SLOW]
    worst = min(main, key=lambda r: r["ratio"])
    summary = (
        "bench: %d cells, Rust/C throughput median %.3f (min %.3f at %s), %d cell(s) more than 3%% "
        "slower, CPU/byte Rust/C median %.3f"
        % (len(main), statistics.median(ratios), worst["ratio"], "/".join(worst["cell"]), len(slow),
           statistics.median(r["cpu_ratio"] for r in main))
    )
    pmeds = [r["paired"][0] for r in main]
    below = [r for r in main if r["paired"][1] and r["paired"][1][1] < SLOW]
    above = [r for r in main if r["paired"][1] and r["paired"][1][0] >= 1.0]
    if all(r["paired"][1] for r in main):
        summary += ("; paired: median %.3f, %d cell(s) with the 95%% CI below %.2f, %d above 1.0"
                    % (statistics.median(pmeds), len(below), SLOW, len(above)))
    if forced:
        summary += "; forced multi-data-unit backends (%s): %d cells, median %.3f" % (
            "/".join(sorted({r["cell"][3] for r in forced})), len(forced),
            statistics.median(r["ratio"] for r in forced))
    clock = info.get("clock", "wall")
    icount = clock.startswith("icount")
    summary += " [%s, %s vCPUs%s; ratios only%s]" % (
        accel, info.get("vcpus", "?"), ", clock: " + clock if icount else "",
        ", TCG: absolute speeds mean nothing" if accel == "tcg" else "")

    md = ["# dm-crypt-rs vs the C dm-crypt", ""]
    md.append("- kernel %s (%s flavour), CPU %s, %s vCPUs, accelerator %s, module %s%s"
              % (info.get("kernel", "?"), info.get("flavour", "base"), info.get("cpu", "?"),
                 info.get("vcpus", "?"), accel,
                 info.get("module", "?"), ", quick matrix" if info.get("quick") == "1" else ""))
    md.append("- xts(aes) driver in the guest: %s" % info.get("aes_driver", "?"))
    md.append("- Both targets in the same boot on the same backing devices; per cell a warm-up of "
              "each, then repetitions alternating which target goes first (C RS, RS C, ...)"
              "%s%s." % ("; %d rounds per cell, each on a fresh pair of devices, %d repetitions "
                         "each" % (rounds, reps) if rounds > 1 else "",
                         "; %d boots, one after the other, pooled (the ceilings too)" % info["boots"]
                         if info["boots"] > 1 else ""))
    if accel == "tcg":
        md.append("- **Under TCG (emulated CPU) only the Rust/C ratios are meaningful**, not the "
                  "absolute MiB/s.")
    if icount:
        md.append("- **Clock: QEMU's instruction counter** (`-icount %s`): the guest's time is the "
                  "number of guest instructions executed, on all vCPUs together, each the same "
                  "length; the figures measure instructions per byte, not cycles, and do not move "
                  "with the host's speed." % clock.split(" ", 1)[1])
    md.append("- Paired Rust/C: the median of each repetition's Rust/C (its two runs are next to "
              "each other in time), with the distribution-free 95% confidence interval of that "
              "median; a cell is shown more than 3% slower than C only where the whole interval is "
              "below 0.97.")
    md.append("- CPU/byte: the guest's non-idle CPU time (all CPUs) per GiB moved; the ratio is "
              "Rust over C, lower is better.")
    md += ["", "**" + summary + "**", "", "## Ceilings in this boot", ""]
    for name, (enc, dec) in sorted(cipher.items()):
        md.append("- cipher %s (cryptsetup benchmark): encrypt %.1f MiB/s, decrypt %.1f MiB/s"
                  % (name, enc, dec))
    for (dev, wl), rs in sorted(raw.items()):
        m = med(rs, "mib_s")
        md.append("- raw %s %s: %.1f MiB/s (%.1f-%.1f)" % (dev, WORKLOADS.get(wl, wl), *m))
    md += ["", "## Cells", "",
           "| device | cipher | sector | flags | workload | C MiB/s (min-max) | Rust MiB/s (min-max)"
           " | Rust/C | paired Rust/C (95% CI) | CPU/byte Rust/C | serial bound | Rust % of bound |",
           "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        dev, ciph, ss, flags, wl = r["cell"]
        mark = " **(slow)**" if r["ratio"] < SLOW else ""
        bound = "%.1f" % r["bound"] if r["bound"] else "-"
        pct = "%.0f%%" % (100 * r["rs"][0] / r["bound"]) if r["bound"] else "-"
        pm, ci = r["paired"]
        pci = "%.3f (%.3f-%.3f)" % (pm, *ci) if ci else "%.3f (too few pairs)" % pm
        md.append("| %s | %s | %s | %s | %s | %.1f (%.1f-%.1f) | %.1f (%.1f-%.1f) | %.3f%s | %s | %.3f | %s | %s |"
                  % (dev, ciph, ss, flags, WORKLOADS.get(wl, wl), *r["c"], *r["rs"], r["ratio"], mark,
                     pci, r["cpu_ratio"], bound, pct))
    if any(r["per_round"] for r in rows):
        md += ["", "## Rust/C per boot and round (each round a fresh pair of devices)", "",
               "| device | cipher | sector | flags | workload | Rust/C of each round's medians, boot by boot |",
               "|---|---|---|---|---|---|"]
        for r in rows:
            if r["per_round"]:
                md.append("| %s | %s | %s | %s | %s | %s |" % (
                    *r["cell"][:4], WORKLOADS.get(r["cell"][4], r["cell"][4]),
                    " ".join("%.3f" % x for x in r["per_round"])))
    if any(r["sched"] for r in rows):
        md += ["", "## Scheduler cost per I/O (medians; all CPUs, C / Rust)", "",
               "Context switches, rescheduling IPIs (a wake-up sent to another CPU) and "
               "function-call IPIs per I/O of the workload, over the whole run.", "",
               "| device | cipher | sector | flags | workload | switches | resched IPIs | call IPIs |",
               "|---|---|---|---|---|---|---|---|"]
        for r in rows:
            if r["sched"]:
                md.append("| %s | %s | %s | %s | %s | %s |" % (
                    *r["cell"][:4], WORKLOADS.get(r["cell"][4], r["cell"][4]),
                    " | ".join("%.2f / %.2f" % r["sched"][k] for k in ("ctxt", "res", "cal"))))
    if info.get("paths"):
        md += ["", "## The path dm-crypt-rs took per cell (device, cipher, sector size, flags: its log line)", ""]
        md += ["    " + p for p in info["paths"]]
    if notes:
        md += ["", "## Kernel log lines seen", ""] + ["    " + n for n in notes]
    (out / "results.md").write_text("\n".join(md) + "\n")
    (out / "summary.txt").write_text(summary + "\n")

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = ["%s %s %s %s %s" % (c[0], c[1], c[2], c[3], c[4]) for c in (r["cell"] for r in rows)]
    n = len(rows)
    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(max(10, 0.28 * n + 3), 10), sharex=True)
    x = range(n)
    colors = ["tab:red" if r["ratio"] < SLOW else "tab:green" for r in rows]
    ax1.bar(x, [r["ratio"] for r in rows], color=colors)
    ax1.axhline(1.0, color="black", linewidth=0.8)
    ax1.axhline(SLOW, color="tab:red", linewidth=0.8, linestyle="--")
    ax1.set_ylabel("Rust/C throughput (median)")
    ax1.set_title("dm-crypt-rs vs C dm-crypt, same boot (%s%s%s)"
                  % (accel, ", instruction clock" if icount else "",
                     ": ratios only" if accel == "tcg" else ""))
    ax2.plot(x, [r["c"][0] / r["bound"] if r["bound"] else 0 for r in rows], "o", label="C")
    ax2.plot(x, [r["rs"][0] / r["bound"] if r["bound"] else 0 for r in rows], "x", label="Rust")
    ax2.axhline(1.0, color="black", linewidth=0.8)
    ax2.set_ylabel("throughput / serial bound")
    ax2.legend()
    ax2.set_xticks(list(x))
    ax2.set_xticklabels(labels, rotation=90, fontsize=7)
    fig.tight_layout()
    fig.savefig(out / "chart.png", dpi=90)
    print(summary)
    print("report: %s, chart: %s" % (out / "results.md", out / "chart.png"))


if __name__ == "__main__":
    main()
