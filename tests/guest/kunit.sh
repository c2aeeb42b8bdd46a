#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The module's in-kernel unit tests (KUnit suites dm_crypt_rs_*) run at load and all pass.
. ./lib.sh

[ -d /sys/kernel/debug/kunit ] || skip "no KUnit in this kernel (CONFIG_KUNIT)"
use_rs_target
suites=$(ls -d /sys/kernel/debug/kunit/dm_crypt_rs_* 2>/dev/null)
[ -n "$suites" ] || fail "no dm_crypt_rs KUnit suite registered"
for s in $suites; do
    results=$(cat "$s/results")
    echo "$results" | sed 's/^/  /'
    echo "$results" | grep -q '^ *not ok' && fail "$(basename "$s") has failures"
    echo "$results" | grep -q "^ok [0-9]* $(basename "$s")\$" || fail "$(basename "$s") did not finish"
done
exit 0
