#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Runs last: the kernel reported no bug, warning, KASAN or lockdep splat during the suite,
# and (on the debug kernel) kmemleak finds no leak.
. ./lib.sh

if dmesg | grep -E -e 'BUG:|WARNING:|KASAN|Oops|possible circular|possible recursive|INFO: task' >/tmp/splat; then
    cat /tmp/splat | head -n 20
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
