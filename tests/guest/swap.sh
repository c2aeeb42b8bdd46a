#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Swap on dm-crypt-rs (a random key, as crypttab's swap does) with little memory: the guest is
# made to behave as one with DMCRS_SWAP_FREE_MIB (default 200) of available memory (the rest
# locked by the test process), and the process touches twice that, checking every page it
# gets back. Three times in a row with the default flags, once more with the inline ones.
# Memory reclaim then depends on writes through the target, whose own allocations must come
# from its reserves. (With 160 MiB left this way both the C target and dm-crypt-rs get
# OOM-killed in the TCG guest: 700 MiB of locked memory leave reclaim too little room.)
. ./lib.sh

use_rs_target
free=${DMCRS_SWAP_FREE_MIB:-200}
grep -q '^SwapTotal' /proc/meminfo || skip "the kernel has no swap support"
key=$(head -c 64 /dev/urandom | od -An -v -tx1 | tr -d ' \n')
sectors=$(blockdev --getsz /dev/vdb)
# Memory the earlier tests left on the ramdisks goes back first.
blkdiscard /dev/ram0 2>/dev/null; blkdiscard /dev/ram1 2>/dev/null

for flags in "" " 2 no_read_workqueue no_write_workqueue"; do
    rounds="1 2 3"
    [ -z "$flags" ] || rounds=1
    dm_create swp "0 $sectors crypt aes-xts-plain64 $key 0 /dev/vdb 0$flags" || fail "table refused"
    mkswap /dev/mapper/swp >/dev/null || fail "mkswap failed"
    swapon /dev/mapper/swp || fail "swapon failed"
    on_exit "swapoff /dev/mapper/swp 2>/dev/null"
    for round in $rounds; do
        out=$(dmcrs-memtouch $((free * 2)) 2 "$free") || {
            echo "$out"
            fail "round $round${flags:+ ($flags)}: memory came back wrong or the process died"
        }
        log "round $round${flags:+ ($flags)}: $(echo "$out" | tr '\n' ' ')"
        # The pages really went through the target.
        swapped=$(echo "$out" | sed -n 's/.*at most \([0-9]*\) MiB in swap/\1/p')
        [ "${swapped:-0}" -ge $((free / 2)) ] || fail "only ${swapped:-0} MiB went to swap: no memory pressure"
    done
    swapoff /dev/mapper/swp || fail "swapoff failed"
    dmsetup remove swp || fail "cannot remove the device"
done
dmesg | grep -q -e 'BUG:' -e 'WARNING:' -e 'Oops' -e 'hung_task' && fail "kernel warnings: $(dmesg | tail)"
exit 0
