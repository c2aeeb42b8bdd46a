#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The test kernel carries the dm core fix of scripts/kernel-patches/fixes/: removing a device
# that never had a table (each refused table load on a fresh device; dmsetup does that on
# every refused "dmsetup create") no longer frees its queue before the drain that
# __dm_destroy started has finished. With the C target alone, for DMCRS_TESTBED_SECONDS
# (default 90): fail-nth table loads, each on a new device that is then removed, while the
# loader is moved from CPU to CPU, which is what makes the two RCU callbacks run out of order.
# Linux 7.3.4 without the fix warned in percpu_ref_exit and then crashed in rcu_core within
# the first 60 seconds in each of three runs here.
. ./lib.sh

[ "$(nproc)" -ge 2 ] || skip "one CPU: the race needs the loader to move between two"
fail_nth_ready || skip "no fail-nth in this kernel (CONFIG_FAULT_INJECTION, FAILSLAB)"
use_c_target
K64=$(printf '0123456789abcdef%.0s' 1 2 3 4)
kmsg_mark

end=$(($(date +%s) + ${DMCRS_TESTBED_SECONDS:-90}))
refused=0 rounds=0
while [ "$(date +%s)" -lt $end ]; do
    dmcrs-failnth --fresh crypt 8192 "aes-xts-plain64 $K64 0 /dev/ram1 0" >/tmp/testbed.out 2>&1 &
    pid=$!
    while kill -0 $pid 2>/dev/null; do
        taskset -p 1 $pid >/dev/null 2>&1
        taskset -p 2 $pid >/dev/null 2>&1
    done
    wait $pid || { cat /tmp/testbed.out; fail "dmcrs-failnth --fresh failed"; }
    rounds=$((rounds + 1))
    r=$(sed -n 's/.*refused \([0-9]*\).*/\1/p' /tmp/testbed.out)
    refused=$((refused + ${r:-0}))
done
[ $refused -gt 0 ] || fail "no table load was refused: the race was not tried"
since_mark | grep -e 'BUG:' -e 'WARNING:' -e 'Oops' && fail "kernel report while removing devices"
log "$rounds rounds, $refused devices that never had a table removed while moving between CPUs: no report"
exit 0
