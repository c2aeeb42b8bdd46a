#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Swap on dm-crypt-rs (a random key, as crypttab's swap does) in a guest with little memory
# (scripts/run-tests.sh boots this one with 160 MiB and the minimal image): a process touches
# twice the guest's memory, checking every page it gets back. Three times in a row with the
# default flags, once more with the inline ones. Memory reclaim then depends on writes through
# the target, whose own allocations must come from its reserves.
. ./lib.sh

use_rs_target
grep -q '^SwapTotal' /proc/meminfo || skip "the kernel has no swap support"
total=$(awk '/^MemTotal/ {print int($2 / 1024)}' /proc/meminfo)
[ "$total" -le 512 ] || skip "the guest has $total MiB: boot it with little memory (run-tests.sh does)"
key=$(head -c 64 /dev/urandom | od -An -v -tx1 | tr -d ' \n')
sectors=$(blockdev --getsz /dev/vdb)
[ $((sectors / 2048)) -ge $((total * 2)) ] || skip "/dev/vdb is too small for $((total * 2)) MiB of swap"
log "$total MiB of memory, $(awk '/^MemAvailable/ {print int($2 / 1024)}' /proc/meminfo) MiB available"

for flags in "" " 2 no_read_workqueue no_write_workqueue"; do
    rounds="1 2 3"
    [ -z "$flags" ] || rounds=1
    dm_create swp "0 $sectors crypt aes-xts-plain64 $key 0 /dev/vdb 0$flags" || fail "table refused"
    mkswap /dev/mapper/swp >/dev/null || fail "mkswap failed"
    swapon /dev/mapper/swp || fail "swapon failed"
    on_exit "swapoff /dev/mapper/swp 2>/dev/null"
    for round in $rounds; do
        out=$(dmcrs-memtouch $((total * 2)) 2) || {
            echo "$out"
            fail "round $round${flags:+ ($flags)}: memory came back wrong or the process died"
        }
        log "round $round${flags:+ ($flags)}: $(echo "$out" | tr '\n' ' ')"
        # The pages really went through the target.
        swapped=$(echo "$out" | sed -n 's/.*at most \([0-9]*\) MiB in swap/\1/p')
        [ "${swapped:-0}" -ge "$total" ] || fail "only ${swapped:-0} MiB went to swap: no memory pressure"
    done
    swapoff /dev/mapper/swp || fail "swapoff failed"
    dmsetup remove swp || fail "cannot remove the device"
done
dmesg | grep -q -e 'BUG:' -e 'WARNING:' -e 'Oops' -e 'hung_task' && fail "kernel warnings: $(dmesg | tail)"
exit 0
