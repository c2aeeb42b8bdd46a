#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The guest half of `make icount` (scripts/icount.sh runs it under the icount QEMU plugin):
# both targets side by side on a brd ramdisk, as in `make bench`, and for every cell one
# fixed run of dmcrs-icount per target and direction, each inside its own counting window.
#
# The matrix comes from the environment (space-separated lists):
#   ICOUNT_CIPHERS  aes256 null
#   ICOUNT_SECTORS  512 4096
#   ICOUNT_FLAGS    nowq default
#   ICOUNT_BS       I/O size in bytes (default 4096)
#   ICOUNT_IOS      I/Os per window (default 2000)
#   ICOUNT_REPS     windows per target, direction and cell (default 2), C and Rust alternating
#
# Output, for scripts/icount-report.py:
#   @@I window N DEV CIPHER SS FLAGS DIR TARGET REP IOS   what window N (counted from 1) ran
#   @@K ADDR TYPE SYMBOL [MODULE]                          the kernel's text symbols at the end

set -u
: "${ICOUNT_CIPHERS:=null aes256}"
: "${ICOUNT_SECTORS:=512 4096}"
: "${ICOUNT_FLAGS:=nowq default}"
: "${ICOUNT_BS:=4096}"
: "${ICOUNT_IOS:=2000}"
: "${ICOUNT_REPS:=2}"
SPAN_MIB=128

die() {
    echo "icount: $*" >&2
    exit 1
}

# lib.sh of the guest tests: bench_table.
. /job/tests/lib.sh
echo 0 >/proc/sys/kernel/kptr_restrict
dmcrs-load c || die "cannot load dm-crypt.ko"
dmcrs-load rs crypt_rs || die "cannot load dm-crypt-rs.ko"
dd if=/dev/urandom of=/dev/ram0 bs=1M count=$SPAN_MIB 2>/dev/null

window=0
for c in $ICOUNT_CIPHERS; do
    for ss in $ICOUNT_SECTORS; do
        for fl in $ICOUNT_FLAGS; do
            dmsetup create ic --table "$(bench_table crypt /dev/ram0 $SPAN_MIB $c $ss $fl)" ||
                die "crypt refused $c $ss $fl"
            dmsetup create irs --table "$(bench_table crypt_rs /dev/ram0 $SPAN_MIB $c $ss $fl)" ||
                die "crypt_rs refused $c $ss $fl"
            for dir in read write; do
                rep=1
                while [ $rep -le "$ICOUNT_REPS" ]; do
                    if [ $((rep % 2)) -eq 1 ]; then order="c rs"; else order="rs c"; fi
                    for t in $order; do
                        if [ $t = c ]; then m=ic; else m=irs; fi
                        window=$((window + 1))
                        echo "@@I window $window brd $c $ss $fl $dir $t $rep $ICOUNT_IOS"
                        dmcrs-icount /dev/mapper/$m $dir "$ICOUNT_BS" "$ICOUNT_IOS" $SPAN_MIB ||
                            die "dmcrs-icount failed on $m ($c $ss $fl $dir)"
                    done
                    rep=$((rep + 1))
                done
            done
            dmsetup remove ic && dmsetup remove irs || die "cannot remove the devices"
        done
    done
done
awk '$2 ~ /^[tT]$/ { print "@@K " $0 }' /proc/kallsyms
echo "@@I done $window"
