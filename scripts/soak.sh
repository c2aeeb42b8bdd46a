#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make soak`: the long stress run (not part of `make test`). fio randrw with crc32c verify,
# queue depth 64, two jobs, for SOAK_SECONDS (default 600) on dm-crypt-rs with the default
# flags, then half as long each inline, with forced small fragments and on the
# multi-data-unit path, with suspend/resume and table reloads every few seconds (tests/soak/guest-soak.sh). The log goes to
# $DMCRYPT_CACHE/logs/soak-<date>.log; the last line says PASSED or FAILED.

source "$(dirname "$0")/common.sh"

secs=${SOAK_SECONDS:-600}
log=$DMCRYPT_CACHE/logs/soak-$(date +%Y%m%d-%H%M%S).log
mkdir -p "$(dirname "$log")"
step "soak: $secs s + 3 x $((secs / 2)) s of fio verify in the guest (log: $log)"
rc=0
DMCRS_CONSOLE_LOG=${log%.log}-console.log "$TOP/scripts/vm" --no-load --cpus 2 --disk-size 1024 \
    --env SOAK_SECONDS="$secs" --timeout $((secs * 3 + 900)) "$TOP/tests/soak/guest-soak.sh" |
    tee "$log" || rc=$?
exit $rc
