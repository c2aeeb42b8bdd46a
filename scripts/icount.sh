#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make icount`: guest instructions executed per I/O by each target, counted by a QEMU TCG
# plugin (scripts/icount-plugin.c) around fixed runs of synchronous direct I/O
# (tests/bench/guest-icount.sh), then a report (scripts/icount-report.py) in
# bench-results/icount-<date>/: per cell, instructions per I/O for both targets, split by
# module, and the symbols whose count per I/O differs most.
#
# Under TCG wall-clock time follows, roughly, the number of guest instructions, and the count
# does not drift with the host's speed the way `make bench`'s timings do
# (Documentation/performance.rst): it weighs a target's work per I/O without the noise.
# ICOUNT_CIPHERS, ICOUNT_SECTORS, ICOUNT_FLAGS, ICOUNT_BS, ICOUNT_IOS and ICOUNT_REPS narrow
# or widen the matrix (see the guest script); ICOUNT_OUT names the results folder;
# BENCH_KERNEL picks the kernel flavour as for `make bench`.
#
# The plugin API header is not packaged by Debian: it comes from the source package of the
# host's own QEMU, fetched through a private apt configuration with the host suite's deb-src.

source "$(dirname "$0")/common.sh"

qver=$(dpkg-query -W -f '${Version}' qemu-system-x86 2>/dev/null) ||
    die "make icount needs Debian's qemu-system-x86 (scripts/provision.sh installs it)"
plugdir=$DMCRYPT_CACHE/qemu-plugin-${qver//[:+~]/_}
hdr=$plugdir/include/qemu-plugin.h
if [ ! -f "$hdr" ]; then
    suite=$(. /etc/os-release && echo "$VERSION_CODENAME")
    [ -n "$suite" ] || die "cannot tell the host's Debian suite from /etc/os-release"
    step "fetching qemu-plugin.h from the source package of QEMU $qver ($suite)"
    PAPT=$DMCRYPT_CACHE/apt-src-$suite
    mkdir -p "$PAPT/sources.list.d" "$PAPT/state" "$PAPT/lists/partial" \
        "$PAPT/cache/archives/partial" "$DMCRYPT_CACHE/logs"
    : >"$PAPT/status"
    echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $(debian_mirror) $suite main" \
        >"$PAPT/sources.list"
    run_logged "$DMCRYPT_CACHE/logs/apt-src-update.log" private_apt update
    src=$(mktemp -d "${TMPDIR:-/tmp}/dmcrs-qemu-src.XXXXXX")
    trap 'rm -rf "$src"' EXIT
    # The source package of the binary package's version ("+bN" rebuilds share the source).
    (cd "$src" && run_logged "$DMCRYPT_CACHE/logs/apt-src-qemu.log" \
        private_apt source --download-only "qemu=${qver%+b[0-9]*}")
    mkdir -p "$plugdir/include"
    tar -xJf "$src"/qemu_*.orig.tar.xz -C "$src" --wildcards '*/include/qemu/qemu-plugin.h' ||
        die "no include/qemu/qemu-plugin.h in QEMU's source package"
    cp "$src"/qemu-*/include/qemu/qemu-plugin.h "$hdr"
fi
plugin=$plugdir/icount-$(sha256sum "$TOP/scripts/icount-plugin.c" | cut -c1-16).so
if [ ! -f "$plugin" ]; then
    gcc -shared -fPIC -O2 -Wall -Werror -I "$plugdir/include" -o "$plugin.tmp" \
        "$TOP/scripts/icount-plugin.c" || die "cannot build the icount plugin"
    mv "$plugin.tmp" "$plugin"
fi

out=${ICOUNT_OUT:-$TOP/bench-results/icount-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$out"
envs=()
for v in ICOUNT_CIPHERS ICOUNT_SECTORS ICOUNT_FLAGS ICOUNT_BS ICOUNT_IOS ICOUNT_REPS; do
    [ -z "${!v:-}" ] || envs+=(--env "$v=${!v}")
done
FLAVOUR=${BENCH_KERNEL:-base}
step "counting instructions in the guest (TCG, single-threaded); raw counts in $out"
rc=0
DMCRS_ACCEL=tcg "$TOP/scripts/vm" --no-load --flavour "$FLAVOUR" --mem 1024 \
    --timeout "${ICOUNT_TIMEOUT:-3600}" --plugin "file=$plugin,out=$out/counts.txt" "${envs[@]}" \
    "$TOP/tests/bench/guest-icount.sh" >"$out/guest.txt" || rc=$?
[ $rc -eq 0 ] || { grep -v '^@@K ' "$out/guest.txt" | tail -n 20 >&2; die "the guest run failed (status $rc)"; }
echo "@@I module $(git -C "$TOP" describe --always --dirty 2>/dev/null || echo unknown)" >>"$out/guest.txt"
echo "@@I flavour $FLAVOUR" >>"$out/guest.txt"
python3 "$TOP/scripts/icount-report.py" "$out"
