#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The project's test run (`make test`): the host tests (cargo test, pure logic) and the guest
# suite (tests/guest, TAP) in one boot of the test guest. Ends with the line
# "N passed, N failed, N skipped" and exits non-zero on any failure.
#
#   scripts/run-tests.sh [--host-only | --guest-only] [--flavour base|debug] [TEST ...]
#
# TEST names a test of tests/guest (main boot), lowmem/NAME (the low-memory boot) or
# dataunit/NAME (a test of tests/guest run on the dataunit kernel).

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

# The tests in tests/guest/lowmem/ run in a second boot: a guest with 160 MiB and the
# minimal image. A third boot, of the dataunit kernel (the base kernel with the proposed
# crypto API data-unit support of scripts/kernel-patches/dataunit), runs the test of the
# multi-data-unit path's crypto API backend, which needs that API. Named tests go to the
# boot they belong to.
main_tests=() lowmem_tests=() dataunit_tests=()
for t in "$@"; do
    case $t in
        lowmem/*) lowmem_tests+=("$t") ;;
        dataunit/*) dataunit_tests+=("${t#dataunit/}") ;;
        *) main_tests+=("$t") ;;
    esac
done
if [ $# -eq 0 ]; then
    for t in "$TOP"/tests/guest/lowmem/*.sh; do lowmem_tests+=("lowmem/$(basename "$t")"); done
    [ "$FLAVOUR" != base ] || dataunit_tests=(multi_du_api zz_kernel_health)
fi

# count_tap NAME TAPFILE: adds a boot's TAP results to the totals.
count_tap() {
    tap_ok=$(grep -c '^ok ' "$2" || true)
    tap_skip=$(grep -c '^ok .* # SKIP' "$2" || true)
    tap_fail=$(grep -c '^not ok ' "$2" || true)
    planned=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$2" | head -n1)
    passed=$((passed + tap_ok - tap_skip)); skipped=$((skipped + tap_skip)); failed=$((failed + tap_fail))
    ran=$((tap_ok + tap_fail))
    if [ -z "$planned" ] || [ "$ran" -lt "$planned" ]; then
        echo "not ok - the $1 guest suite stopped early (ran $ran of ${planned:-?}; console: $LOGDIR/console-$1.log)"
        failed=$((failed + 1))
    fi
    if [ "$tap_skip" -gt 0 ]; then
        echo "skipped guest tests:"
        grep '^ok .* # SKIP' "$2" | sed 's/^ok [0-9]* selftests: dm-crypt-rs: /  /'
    fi
}

if [ $GUEST -eq 1 ] && { [ $# -eq 0 ] || [ ${#main_tests[@]} -gt 0 ]; }; then
    step "guest tests ($FLAVOUR kernel)"
    envs=() suite_timeout=${DMCRS_SUITE_TIMEOUT:-4800}
    # audit=1: the audit records of dm targets are part of what is compared (audit.sh).
    # They are many (every device created or removed); log_buf_len keeps the whole suite's
    # kernel log for zz_kernel_health.sh, and a larger audit backlog spares most of the
    # "hold queue overflow" lines that kauditd prints without an audit daemon.
    # The debug kernel (KASAN, lockdep) is many times slower under TCG: smaller volumes.
    [ "$FLAVOUR" = debug ] && envs=(--env DMCRS_EQ_MIB=2 --env DMCRS_EQ_TABLES=4
                                    --env DMCRS_FIO_MIB=8 --env DMCRS_LIVE_MIB=8
                                    --env DMCRS_FUZZ_TABLES=150 --env DMCRS_LIFECYCLE_DEVICES=20
                                    --env DMCRS_FAULT_OPS=1000 --env DMCRS_FAILNTH_SHAPES=2
                                    --env DMCRS_MDU_MIB=8 --env DMCRS_TEST_TIMEOUT=1800) &&
        suite_timeout=${DMCRS_SUITE_TIMEOUT:-9000}
    DMCRS_CONSOLE_LOG=$LOGDIR/console-main.log "$TOP/scripts/vm" --no-load --flavour "$FLAVOUR" "${envs[@]}" \
        --append "audit=1 audit_backlog_limit=8192 log_buf_len=64M" --timeout "$suite_timeout" \
        "$TOP/tests/guest/run.sh" "${main_tests[@]}" | tee "$LOGDIR/guest.tap" || true
    count_tap main "$LOGDIR/guest.tap"
fi

if [ $GUEST -eq 1 ] && [ ${#lowmem_tests[@]} -gt 0 ]; then
    step "guest tests with little memory ($FLAVOUR kernel, 160 MiB, minimal image)"
    mem=160 envs=() boot_timeout=1800
    # KASAN's shadow memory and the debug structures need more room, and the four rounds
    # of swapping take about 800 s on the debug kernel.
    [ "$FLAVOUR" = debug ] && mem=320 envs=(--env DMCRS_TEST_TIMEOUT=2400) boot_timeout=3000
    DMCRS_CONSOLE_LOG=$LOGDIR/console-lowmem.log "$TOP/scripts/vm" --no-load --flavour "$FLAVOUR" --minimal \
        --mem $mem --disk-size 1024 --timeout $boot_timeout "${envs[@]}" \
        "$TOP/tests/guest/run.sh" "${lowmem_tests[@]}" | tee "$LOGDIR/guest-lowmem.tap" || true
    count_tap lowmem "$LOGDIR/guest-lowmem.tap"
fi

if [ $GUEST -eq 1 ] && [ ${#dataunit_tests[@]} -gt 0 ]; then
    step "guest tests on the dataunit kernel (crypto API data units: ${dataunit_tests[*]})"
    DMCRS_CONSOLE_LOG=$LOGDIR/console-dataunit.log "$TOP/scripts/vm" --no-load --flavour dataunit \
        --append "log_buf_len=16M" --timeout 2400 \
        "$TOP/tests/guest/run.sh" "${dataunit_tests[@]}" | tee "$LOGDIR/guest-dataunit.tap" || true
    count_tap dataunit "$LOGDIR/guest-dataunit.tap"
fi

echo "logs: $LOGDIR"
echo "$passed passed, $failed failed, $skipped skipped"
[ $failed -eq 0 ]
