#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Fault injection under checked random I/O (dmcrs-blk: every 512-byte unit names its block,
# unit and generation, so a unit read back is either one that was written there or corrupt).
# Failing allocations (FAILSLAB, FAIL_PAGE_ALLOC) -- those that may not wait, system-wide, and
# every one of the I/O process -- and failing requests of the lower device
# (FAIL_MAKE_REQUEST), with the synchronous and an asynchronous cipher, inline, and with
# the fragment path forced. Whatever fails must fail as an error to the caller: no unit ever
# reads back wrong, during the faults or after them, and nothing hangs or oopses. Failing
# allocations that may not wait must not even cause errors: the reserves take over.
. ./lib.sh

dbg=/sys/kernel/debug
[ -d $dbg/failslab ] && [ -d $dbg/fail_page_alloc ] && [ -d $dbg/fail_make_request ] ||
    skip "no fault injection in this kernel (CONFIG_FAILSLAB, FAIL_PAGE_ALLOC, FAIL_MAKE_REQUEST)"
use_c_target
use_rs_target crypt_rs
frag=/sys/module/dm_crypt_rs/parameters/max_fragment_pages
K64=$(printf '0123456789abcdef%.0s' 1 2 3 4)
ops=${DMCRS_FAULT_OPS:-3000}

arm() { # FACILITY PROBABILITY IGNORE_GFP_WAIT TASK_FILTER
    d=$dbg/$1
    echo 0 >$d/verbose; echo 0 >$d/space; echo 1 >$d/interval; echo -1 >$d/times
    [ ! -f $d/ignore-gfp-wait ] || echo "$3" >$d/ignore-gfp-wait
    echo "$4" >$d/task-filter
    echo "$2" >$d/probability
}
disarm() {
    for f in failslab fail_page_alloc fail_make_request; do echo 0 >$dbg/$f/probability; done
    echo 0 >/sys/block/vda/make-it-fail
    echo 0 >$frag
}
on_exit disarm

# case NAME TARGET CIPHER BS FACILITY PROBABILITY IGNORE_GFP_WAIT TASK_FILTER ERRORS [FEATURES...]
# ERRORS: "none" (the reserves must absorb every failure) or "some" (the faults must show).
case_run() {
    name=$1 target=$2 cipher=$3 bs=$4 fac=$5 prob=$6 nowait=$7 task=$8 errors=$9
    shift 9
    feat=
    [ $# -eq 0 ] || feat=" $# $*"
    blocks=$((16 * 1024 * 1024 / bs))
    dm_create flt "0 131072 $target $cipher $K64 0 /dev/vda 0$feat" || fail "$name: table refused"
    dmcrs-blk init /dev/mapper/flt $blocks $bs /tmp/flt.state >/dev/null || fail "$name: init failed"
    [ "$fac" != fail_make_request ] || echo 1 >/sys/block/vda/make-it-fail
    arm $fac $prob $nowait $task
    faults=0
    [ "$task" = N ] || faults=1
    out=$(DMCRS_BLK_FAULTS=$faults dmcrs-blk run /dev/mapper/flt $blocks $bs /tmp/flt.state $ops 7)
    rc=$?
    disarm
    log "$name: $(echo "$out" | tail -n1)"
    [ $rc -eq 0 ] || { echo "$out"; fail "$name: data read back wrong under faults (rc $rc)"; }
    errs=$(echo "$out" | tail -n1 | awk '{print $4 + $8}')
    case $errors in
        none) [ "$errs" -eq 0 ] || fail "$name: $errs I/O errors, though the reserves should have served" ;;
        some) [ "$errs" -gt 0 ] || fail "$name: no I/O error: the faults were not injected" ;;
    esac
    out=$(dmcrs-blk verify /dev/mapper/flt $blocks $bs /tmp/flt.state) ||
        { echo "$out"; fail "$name: data read back wrong after the faults"; }
    dmsetup remove flt || fail "$name: cannot remove the device"
}

rs=crypt_rs aes=aes-xts-plain64 cryptd="capi:cryptd(xts-aes-aesni)-plain64"
inline="no_read_workqueue no_write_workqueue"

# Allocations that may not wait fail half the time, everywhere.
case_run slab-nowait $rs $aes 4096 failslab 50 Y N none
case_run slab-nowait-cryptd $rs "$cryptd" 65536 failslab 50 Y N none
case_run slab-nowait-inline $rs $aes 65536 failslab 50 Y N none $inline
case_run pages-nowait $rs $aes 65536 fail_page_alloc 50 Y N none
echo 1 >$frag
case_run pages-nowait-fragments $rs $aes 65536 fail_page_alloc 50 Y N none
echo 1 >$frag
case_run slab-nowait-fragments-cryptd $rs "$cryptd" 65536 failslab 50 Y N none
# Every allocation of the I/O process fails a tenth of the time (its map calls included).
case_run slab-task $rs $aes 4096 failslab 10 N Y any
case_run pages-task $rs $aes 65536 fail_page_alloc 10 N Y any
case_run slab-task-inline $rs $aes 65536 failslab 10 N Y any $inline
# The lower device fails a tenth of its requests.
case_run lower $rs $aes 4096 fail_make_request 10 N N some
case_run lower-cryptd $rs "$cryptd" 65536 fail_make_request 10 N N some
case_run lower-inline $rs $aes 65536 fail_make_request 10 N N some $inline
echo 1 >$frag
case_run lower-fragments $rs $aes 65536 fail_make_request 10 N N some
# The C target under the same faults, as a reference: the task's own failures include the
# block layer's (direct I/O of more than four pages kmallocs its bvec array).
case_run slab-task-inline-c crypt $aes 65536 failslab 10 N Y any $inline
case_run lower-c crypt $aes 65536 fail_make_request 10 N N some

dmesg | grep -q -e 'BUG:' -e 'WARNING:' -e 'Oops' -e 'hung_task' && fail "kernel warnings: $(dmesg | tail)"
exit 0
