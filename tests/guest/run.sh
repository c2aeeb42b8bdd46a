#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Runs the guest tests as the kselftest runner does and prints TAP: every other executable
# *.sh here is one test (exit 0 pass, 4 skip, anything else fail).
#
#   run.sh [TEST ...]      (names with or without .sh; default: all)

# Next to this script, or in /job/tests when scripts/vm runs a copy of it.
dir=$(dirname "$0")
[ -f "$dir/lib.sh" ] || dir=/job/tests
cd "$dir" || exit 1
if [ $# -gt 0 ]; then
    tests=
    for t in "$@"; do tests="$tests ${t%.sh}.sh"; done
else
    tests=$(ls *.sh | grep -v -e '^lib\.sh$' -e '^run\.sh$')
fi

n=0
for t in $tests; do n=$((n + 1)); done
echo "TAP version 13"
echo "1..$n"
i=0
for t in $tests; do
    i=$((i + 1))
    echo "# selftests: dm-crypt-rs: $t"
    if [ ! -f "$t" ]; then
        echo "not ok $i selftests: dm-crypt-rs: $t # no such test"
        continue
    fi
    log=/tmp/test-$(echo "$t" | tr / _).log
    # In a session of its own, so that a test killed at its timeout takes its children (fio,
    # dd, ...) with it, rather than leaving them on the devices the next test uses.
    timeout -s KILL "${DMCRS_TEST_TIMEOUT:-1200}" \
        setsid sh -c 'echo $$ >/tmp/test.pgid; exec sh "$0"' "./$t" >"$log" 2>&1
    rc=$?
    [ $rc -ne 137 ] || { kill -KILL -"$(cat /tmp/test.pgid)" 2>/dev/null; sleep 1; }
    sed 's/^/# /; s/^# # /# /' "$log"
    case $rc in
        0) echo "ok $i selftests: dm-crypt-rs: $t" ;;
        4) echo "ok $i selftests: dm-crypt-rs: $t # SKIP $(sed -n 's/^# SKIP //p' "$log" | tail -n1)" ;;
        137) echo "not ok $i selftests: dm-crypt-rs: $t # TIMEOUT" ;;
        *) echo "not ok $i selftests: dm-crypt-rs: $t # exit=$rc" ;;
    esac
    # Leave a clean slate for the next test.
    dmsetup remove_all >/dev/null 2>&1
    rmmod dm_crypt_rs >/dev/null 2>&1
    rmmod dm_crypt >/dev/null 2>&1
done
