#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Live operations under fio load on dm-crypt-rs: while fio writes with verification (queue
# depth 16, two jobs), the device is suspended and resumed, its key wiped and set again
# while suspended, and its table reloaded (a second instance built beside the live one and
# swapped in, with changed options). No I/O error, nothing fails to verify, and with a
# synchronous and an asynchronous cipher.
. ./lib.sh

use_rs_target
K64=$(printf '0123456789abcdef%.0s' 1 2 3 4)
mib=${DMCRS_LIVE_MIB:-48}
len=$((mib * 2048))
# Smaller volumes (the debug kernel) loop more, so that the operations overlap the load.
loops=3
[ $mib -ge 48 ] || loops=8

for cipher in aes-xts-plain64 "capi:cryptd(xts-aes-aesni)-plain64"; do
    table="0 $len crypt $cipher $K64 0 /dev/vda 0"
    dm_create lv "$table" || fail "table refused"
    fio --name=live --filename=/dev/mapper/lv --rw=randwrite --bsrange=4k-256k --blockalign=4k \
        --ioengine=libaio --iodepth=16 --numjobs=2 --offset_increment=$((mib / 2))m \
        --size=$((mib / 2))m --loops=$loops --direct=1 --verify=crc32c --verify_fatal=1 \
        --group_reporting --output=/tmp/fio-live.log &
    fio_pid=$!
    ops=0
    while kill -0 $fio_pid 2>/dev/null && [ $ops -lt 30 ]; do
        sleep 0.3
        case $((ops % 3)) in
            0) dmsetup suspend lv && dmsetup resume lv || fail "suspend/resume" ;;
            1) dmsetup suspend lv && dmsetup message lv 0 key wipe &&
                   dmsetup message lv 0 key set $K64 && dmsetup resume lv || fail "key wipe/set" ;;
            2) extra=
               [ $((ops % 2)) -eq 0 ] && extra=" 2 same_cpu_crypt submit_from_crypt_cpus"
               dmsetup reload lv --table "$table$extra" && dmsetup suspend lv &&
                   dmsetup resume lv || fail "table reload" ;;
        esac
        ops=$((ops + 1))
    done
    wait $fio_pid || { cat /tmp/fio-live.log; fail "$cipher: fio failed under live operations"; }
    grep -q "err= 0" /tmp/fio-live.log || { cat /tmp/fio-live.log; fail "$cipher: fio reported errors"; }
    # At least one of each kind.
    [ $ops -ge 3 ] || fail "$cipher: only $ops operations while fio ran"
    log "$cipher: $ops live operations during fio verify, no errors"
    dmsetup remove lv
done
dmesg | grep -q -e 'BUG:' -e 'WARNING:' -e 'Oops' && fail "kernel warnings: $(dmesg | tail)"
exit 0
