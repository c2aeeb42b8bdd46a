#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make bench`: dm-crypt-rs against the in-tree C dm-crypt, side by side in one guest boot
# (tests/bench/guest-bench.sh), then a report (scripts/bench-report.py): a markdown table, a
# PNG chart and a one-line summary in bench-results/<date>/.
#
# BENCH_QUICK=1 runs a small matrix (a few minutes); the full one takes an hour or more under
# TCG. Any of BENCH_DEVICES, BENCH_CIPHERS, BENCH_SECTORS, BENCH_FLAGS, BENCH_WORKLOADS,
# BENCH_REPS, BENCH_ROUNDS, BENCH_RUNTIME, BENCH_WARMUP narrows or widens it (see the guest
# script).
# BENCH_OUT names the results folder. BENCH_PROFILE=1 brings the host's perf (Debian's
# linux-perf) into the guest and adds each cell's hottest kernel symbols, per target, to
# profile.txt: narrow the matrix when using it. BENCH_KERNEL=dataunit runs on the dataunit
# test kernel (the crypto API data-unit patch), where the mduapi flag set measures the
# multi-data-unit path's crypto API backend; its quick matrix adds mduapi. BENCH_KERNEL=inline
# runs on the kernel built with the clang of rustc's LLVM and the C helpers inlined into Rust.
# BENCH_PROFILE_ADDRS=1 adds the sampled offsets within module symbols to profile.txt.
# BENCH_BOOTS=N runs the whole matrix in N boots one after the other, into one report: under
# TCG the Rust/C ratio of a cell moves by a few percent from one boot to the next
# (Documentation/performance.rst, "Reading the figures under TCG"), so a boot is one sample.
# BENCH_CLOCK=icount runs the guest on QEMU's instruction counter (scripts/vm --icount, shift
# BENCH_ICOUNT_SHIFT, default 2): guest time is then the number of guest instructions
# executed (on all vCPUs, one at a time), 2^shift ns each, and the same run takes the same
# time whatever the host does. It measures instructions, not cycles.

source "$(dirname "$0")/common.sh"

MATPLOTLIB_VERSION=3.9.2
vars=(BENCH_DEVICES BENCH_CIPHERS BENCH_SECTORS BENCH_FLAGS BENCH_WORKLOADS BENCH_REPS BENCH_ROUNDS BENCH_RUNTIME BENCH_WARMUP)
if [ "${BENCH_QUICK:-0}" = 1 ]; then
    : "${BENCH_DEVICES:=brd}"
    : "${BENCH_CIPHERS:=aes256 null}"
    if [ "${BENCH_KERNEL:-base}" = dataunit ]; then
        : "${BENCH_FLAGS:=default mdulib mduapi}"
        : "${BENCH_SECTORS:=512 4096}"
    fi
    : "${BENCH_FLAGS:=default nowq mdulib}"
    : "${BENCH_WORKLOADS:=rr4k1 rw4k1 sw1m8}"
    : "${BENCH_RUNTIME:=1}"
fi

# The chart needs matplotlib: a private copy from PyPI in the cache.
pylib=$DMCRYPT_CACHE/pylib-matplotlib-$MATPLOTLIB_VERSION
if [ ! -f "$pylib/.done" ]; then
    step "installing matplotlib $MATPLOTLIB_VERSION from PyPI (for the chart)"
    mkdir -p "$DMCRYPT_CACHE/logs"
    rm -rf "$pylib"
    run_logged "$DMCRYPT_CACHE/logs/matplotlib-install.log" \
        python3 -m pip install --target "$pylib" "matplotlib==$MATPLOTLIB_VERSION"
    touch "$pylib/.done"
fi

out=${BENCH_OUT:-$TOP/bench-results/$(date +%Y%m%d-%H%M%S)}
mkdir -p "$out"
vars+=(BENCH_PROFILE BENCH_PROFILE_RUNTIME BENCH_PROFILE_ADDRS)
envs=() with=()
if [ "${BENCH_PROFILE:-0}" = 1 ]; then
    perf=$(command -v perf_6.1 || command -v perf) || die "BENCH_PROFILE=1 needs perf (Debian: linux-perf)"
    files=$(mktemp -d "${TMPDIR:-/tmp}/dmcrs-bench.XXXXXX")
    trap 'rm -rf "$files"' EXIT
    mkdir -p "$files/perf/lib"
    cp "$perf" "$files/perf/perf"
    ldd "$perf" | awk '$3 ~ /^\// {print $3}' | xargs -r cp -L -t "$files/perf/lib"
    with=(--with "$files")
fi
for v in "${vars[@]}"; do
    [ -z "${!v:-}" ] || envs+=(--env "$v=${!v}")
done
FLAVOUR=${BENCH_KERNEL:-base}
KOUT=$("$TOP/scripts/build-kernel.sh" "$FLAVOUR")
clock=wall vmclock=()
case ${BENCH_CLOCK:-wall} in
    wall) accel=$("$TOP/scripts/accel-probe.sh" "$KOUT") ;;
    icount)
        icount_shift=${BENCH_ICOUNT_SHIFT:-2}
        accel=tcg clock="icount shift=$icount_shift" vmclock=(--icount "$icount_shift")
        export DMCRS_ACCEL=tcg ;;
    *) die "BENCH_CLOCK is wall or icount, not ${BENCH_CLOCK}" ;;
esac
step "benchmarking in the guest ($accel, clock: $clock); raw figures in $out/raw.txt"
: >"$out/raw.txt"
boots=${BENCH_BOOTS:-1}
for ((boot = 1; boot <= boots; boot++)); do
    [ "$boots" = 1 ] || step "boot $boot of $boots"
    echo "@@B boot $boot" >>"$out/raw.txt"
    rc=0
    "$TOP/scripts/vm" --no-load --flavour "$FLAVOUR" "${vmclock[@]}" --mem 1536 --timeout "${BENCH_TIMEOUT:-14400}" "${envs[@]}" "${with[@]}" \
        "$TOP/tests/bench/guest-bench.sh" | tee -a "$out/raw.txt" | grep -v '^@@[BP] ' || rc=${PIPESTATUS[0]}
    [ $rc -eq 0 ] || die "the guest benchmark failed (status $rc); partial figures in $out/raw.txt"
done
{
    echo "@@B info accel $accel"
    echo "@@B info clock $clock"
    echo "@@B info quick ${BENCH_QUICK:-0}"
    echo "@@B info flavour $FLAVOUR"
    echo "@@B info module $(git -C "$TOP" describe --always --dirty 2>/dev/null || echo unknown)"
} >>"$out/raw.txt"
PYTHONPATH=$pylib python3 "$TOP/scripts/bench-report.py" "$out"
