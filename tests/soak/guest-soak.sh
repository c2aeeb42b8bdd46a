#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# `make soak` (in the guest): fio randrw with crc32c verify, queue depth 64, two jobs, for
# SOAK_SECONDS (default 600) on dm-crypt-rs over a virtio disk, with the default flags; then
# half as long each with the inline flags, with forced small fragments and on the
# multi-data-unit path (multi_data_unit=lib), with a table reload and a suspend/resume every
# few seconds meanwhile. Zero errors, zero verify failures.
secs=${SOAK_SECONDS:-600}
K64=$(printf '0123456789abcdef%.0s' 1 2 3 4)
sectors=$(blockdev --getsz /dev/vda)
fail=0

soak() { # NAME SECONDS FEATURES...
    name=$1 t=$2
    shift 2
    feat=
    [ $# -eq 0 ] || feat=" $# $*"
    table="0 $sectors crypt aes-xts-plain64 $K64 0 /dev/vda 0$feat"
    dmsetup create soak --table "$table" || { echo "$name: table refused"; fail=1; return; }
    (   # Live operations under the load.
        while sleep 7; do
            dmsetup suspend soak && dmsetup resume soak
            echo "$table" | dmsetup load soak && dmsetup suspend soak && dmsetup resume soak
        done
    ) &
    ops=$!
    fio --name="$name" --filename=/dev/mapper/soak --rw=randrw --bsrange=4k-256k --blockalign=4k \
        --ioengine=libaio --iodepth=64 --numjobs=2 --offset_increment=50% --size=50% --direct=1 \
        --time_based --runtime="$t" --verify=crc32c --verify_fatal=1 --verify_backlog=1024 \
        --group_reporting --eta=never --output=/tmp/soak-$name.log
    rc=$?
    kill $ops; wait $ops 2>/dev/null
    dmsetup resume soak 2>/dev/null
    sed -n -e '/err=/p' -e '/read: IOPS/p' -e '/write: IOPS/p' -e '/verify/p' /tmp/soak-$name.log
    if [ $rc -ne 0 ] || ! grep -q "err= 0" /tmp/soak-$name.log; then
        echo "$name: FAILED (fio status $rc)"
        fail=1
    else
        echo "$name: $t s, zero errors"
    fi
    dmsetup remove --retry soak
}

dmcrs-load rs >/dev/null 2>&1 || [ -d /sys/module/dm_crypt_rs ] || { echo "cannot load dm-crypt-rs"; exit 1; }
soak default "$secs"
soak inline $((secs / 2)) no_read_workqueue no_write_workqueue
echo 1 >/sys/module/dm_crypt_rs/parameters/max_fragment_pages
soak fragments $((secs / 2))
echo 0 >/sys/module/dm_crypt_rs/parameters/max_fragment_pages
echo lib >/sys/module/dm_crypt_rs/parameters/multi_data_unit
soak multi-data-unit $((secs / 2))
echo auto >/sys/module/dm_crypt_rs/parameters/multi_data_unit
dmesg | grep -e 'BUG:' -e 'WARNING:' -e 'Oops' -e 'hung_task' && fail=1
[ $fail -eq 0 ] && echo "soak: PASSED" || echo "soak: FAILED"
exit $fail
