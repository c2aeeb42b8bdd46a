#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Device lifecycle: 50 devices created, written, checked and removed concurrently while
# another device is under fio load; module unload refused while a device exists; and every
# constructor step failed once (fail-nth on the table load: allocation failures wherever the
# constructor or dm core allocates), each failure undone by the constructor (kmemleak and
# KASAN watch that on the debug kernel) and the module free to unload afterwards.
. ./lib.sh

use_rs_target
K64=$(printf '0123456789abcdef%.0s' 1 2 3 4)
K32=$(printf '0123456789abcdef%.0s' 1 2)
ndev=${DMCRS_LIFECYCLE_DEVICES:-50}

# Load on a device of its own while the others come and go.
dm_create busy "0 65536 crypt aes-xts-plain64 $K64 0 /dev/vda 0" || fail "table refused"
fio --name=busy --filename=/dev/mapper/busy --rw=randrw --bs=4k --iodepth=16 --ioengine=libaio \
    --direct=1 --time_based --runtime=3600 --verify=crc32c --verify_fatal=1 \
    --output=/tmp/busy.log 2>/tmp/busy.err &
fio_pid=$!
on_exit "kill $fio_pid 2>/dev/null"

one() { # N ROUND
    name=lc$1 start=$(($1 * 8192))
    dmsetup create $name --table "0 8192 crypt aes-cbc-essiv:sha256 $K64 $2 /dev/ram1 $start" ||
        { echo "create $name failed"; return 1; }
    head -c 1048576 /dev/urandom >/tmp/$name.in
    dd if=/tmp/$name.in of=/dev/mapper/$name bs=64k oflag=direct 2>/dev/null &&
        dd if=/dev/mapper/$name of=/tmp/$name.out bs=64k count=16 iflag=direct 2>/dev/null &&
        cmp -s /tmp/$name.in /tmp/$name.out || { echo "$name: data differs"; return 1; }
    rm -f /tmp/$name.in /tmp/$name.out
    dmsetup remove --retry $name || { echo "remove $name failed"; return 1; }
}

for round in 1 2; do
    pids=
    i=0
    while [ $i -lt "$ndev" ]; do
        one $i $round >/tmp/lc$i.log 2>&1 &
        pids="$pids $!"
        i=$((i + 1))
    done
    bad=0
    for p in $pids; do wait $p || bad=$((bad + 1)); done
    [ $bad -eq 0 ] || { cat /tmp/lc*.log; fail "round $round: $bad of $ndev devices failed"; }
    left=$(dmsetup ls | grep -c '^lc')
    [ "$left" -eq 0 ] || fail "round $round: $left devices left over"
    log "round $round: $ndev devices created, checked and removed concurrently"
done

# The module is held by its devices.
rmmod dm_crypt_rs 2>/dev/null && fail "the module unloaded under a live device"
kill $fio_pid
wait $fio_pid
grep -q "err= 0" /tmp/busy.log || { cat /tmp/busy.log /tmp/busy.err; fail "fio on the busy device reported errors"; }
log "unload refused while a device exists; fio under it: no errors"
dmsetup remove busy || fail "cannot remove the busy device"

# Every failure point of the constructor, with several table shapes (DMCRS_FAILNTH_SHAPES of
# them, default all five; the debug kernel, where each point costs seconds, runs two).
shapes=${DMCRS_FAILNTH_SHAPES:-5}
if fail_nth_ready; then
    for params in \
        "aes-xts-plain64 $K64 0 /dev/ram1 0" \
        "aes-cbc-essiv:sha256 $K64 0 /dev/ram1 0 4 allow_discards same_cpu_crypt sector_size:4096 iv_large_sectors" \
        "aes-cbc-tcw $K64$K32 0 /dev/ram1 0" \
        "aes-xts-plain64 $K64 0 /dev/ram1 0 2 no_read_workqueue no_write_workqueue" \
        "aes-cbc-elephant $K64 0 /dev/ram1 0"; do
        [ "$shapes" -gt 0 ] || break
        shapes=$((shapes - 1))
        out=$(dmcrs-failnth crypt 8192 "$params") || { echo "$out"; fail "fail-nth: $params"; }
        log "fail-nth, $(echo "$params" | cut -d' ' -f1): $out"
    done
else
    log "no fail-nth in this kernel (CONFIG_FAULT_INJECTION, FAILSLAB): constructor failure points not tried"
fi
rmmod dm_crypt_rs || fail "the module does not unload after the devices are gone"
dmesg | grep -q -e 'BUG:' -e 'WARNING:' -e 'Oops' && fail "kernel warnings: $(dmesg | tail)"
exit 0
