#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Runs last: the kernel reported no bug, warning, KASAN or lockdep splat during the suite,
# and (on the debug kernel) kmemleak finds no leak.
#
# The log is read through /dev/kmsg, which `dmesg -c` in other tests does not clear, and it
# must still hold the first record of the boot: a log buffer that wrapped (the suite's audit
# records are many; the boot sets log_buf_len) could have lost a report.
. ./lib.sh

timeout 30 cat /dev/kmsg >/tmp/kmsg 2>/dev/null
first=$(head -n 1 /tmp/kmsg | cut -d';' -f1 | cut -d, -f2)
[ "$first" = 0 ] || fail "the kernel log wrapped (oldest record $first of $(wc -l </tmp/kmsg) lines): reports may be lost"
log "kernel log: $(grep -c '^[0-9]' /tmp/kmsg) records since boot"
if grep -E -e 'BUG:|WARNING:|KASAN|Oops|possible circular|possible recursive|INFO: task' /tmp/kmsg >/tmp/splat; then
    head -n 20 /tmp/splat
    fail "kernel reports during the suite"
fi
if [ -w /sys/kernel/debug/kmemleak ]; then
    # Unload everything first so the module's own memory is not counted.
    dmsetup remove_all 2>/dev/null
    rmmod dm_crypt_rs 2>/dev/null
    echo scan >/sys/kernel/debug/kmemleak; sleep 6; echo scan >/sys/kernel/debug/kmemleak
    leaks=$(grep -c '^unreferenced object' /sys/kernel/debug/kmemleak)
    if [ "$leaks" -gt 0 ]; then
        head -n 40 /sys/kernel/debug/kmemleak
        fail "kmemleak: $leaks unreferenced objects"
    fi
    log "kmemleak: no leaks"
fi
exit 0
