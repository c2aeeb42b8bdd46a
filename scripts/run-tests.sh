#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The project's test run (`make test`): the host tests (cargo test, pure logic) and the guest
# suite (tests/guest, TAP) in one boot of the test guest. Ends with the line
# "N passed, N failed, N skipped" and exits non-zero on any failure.
#
#   scripts/run-tests.sh [--host-only | --guest-only] [--flavour base|debug] [TEST ...]

source "$(dirname "$0")/common.sh"

HOST=1 GUEST=1 FLAVOUR=base
while [ $# -gt 0 ]; do
    case $1 in
        --host-only) GUEST=0; shift ;;
        --guest-only) HOST=0; shift ;;
        --flavour) FLAVOUR=$2; shift 2 ;;
        *) break ;;
    esac
done

passed=0 failed=0 skipped=0
LOGDIR=$DMCRYPT_CACHE/logs/test-$(date +%Y%m%d-%H%M%S)
mkdir -p "$LOGDIR"

if [ $HOST -eq 1 ]; then
    step "host tests (cargo test)"
    if cargo test --offline --quiet 2>&1 | tee "$LOGDIR/host.log"; then :; else
        grep -q 'test result:' "$LOGDIR/host.log" || {
            echo "not ok - cargo test did not run (see $LOGDIR/host.log)"
            failed=$((failed + 1))
        }
    fi
    while read -r p f; do
        passed=$((passed + p)); failed=$((failed + f))
    done < <(sed -n 's/^test result: [a-zA-Z]*\. \([0-9]*\) passed; \([0-9]*\) failed.*/\1 \2/p' "$LOGDIR/host.log")
fi

if [ $GUEST -eq 1 ]; then
    step "guest tests ($FLAVOUR kernel)"
    rc=0
    envs=()
    # audit=1: the audit records of dm targets are part of what is compared (audit.sh).
    # The debug kernel (KASAN, lockdep) is many times slower under TCG: smaller volumes.
    [ "$FLAVOUR" = debug ] && envs=(--env DMCRS_EQ_MIB=2 --env DMCRS_EQ_TABLES=4
                                    --env DMCRS_FIO_MIB=8 --env DMCRS_LIVE_MIB=8
                                    --env DMCRS_TEST_TIMEOUT=1800)
    # 512 MiB scratch disks (sparse): swap.sh swaps to one.
    DMCRS_CONSOLE_LOG=$LOGDIR/console.log "$TOP/scripts/vm" --no-load --flavour "$FLAVOUR" "${envs[@]}" --append audit=1 \
        --disk-size 512 \
        --timeout "${DMCRS_SUITE_TIMEOUT:-4800}" "$TOP/tests/guest/run.sh" "$@" |
        tee "$LOGDIR/guest.tap" || rc=$?
    tap_ok=$(grep -c '^ok ' "$LOGDIR/guest.tap" || true)
    tap_skip=$(grep -c '^ok .* # SKIP' "$LOGDIR/guest.tap" || true)
    tap_fail=$(grep -c '^not ok ' "$LOGDIR/guest.tap" || true)
    planned=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$LOGDIR/guest.tap" | head -n1)
    passed=$((passed + tap_ok - tap_skip)); skipped=$((skipped + tap_skip)); failed=$((failed + tap_fail))
    ran=$((tap_ok + tap_fail))
    if [ -z "$planned" ] || [ "$ran" -lt "$planned" ]; then
        echo "not ok - the guest suite stopped early (ran $ran of ${planned:-?}; console: $LOGDIR/console.log)"
        failed=$((failed + 1))
    fi
    if [ $tap_skip -gt 0 ]; then
        echo "skipped guest tests:"
        grep '^ok .* # SKIP' "$LOGDIR/guest.tap" | sed 's/^ok [0-9]* selftests: dm-crypt-rs: /  /'
    fi
fi

echo "logs: $LOGDIR"
echo "$passed passed, $failed failed, $skipped skipped"
[ $failed -eq 0 ]
