#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Zoned devices (null_blk, host-managed): dm-crypt-rs over one, the C target over another,
# the same table. Both show the same zones, limits and table line (no_write_workqueue is
# implied), sequential writes give the same ciphertext and read back across the targets,
# zone resets pass through, and fio's zoned verify workload (random zones, sequential writes
# within each, queue depth 16) verifies with a synchronous and an asynchronous cipher, whose
# writes dm-crypt-rs must keep in order.
. ./lib.sh

command -v blkzone >/dev/null || skip "no blkzone in the guest"
use_c_target
use_rs_target crypt_rs
nullb_setup || fail "cannot load null_blk"
on_exit "nullb_remove zc; nullb_remove zr"
zc=$(nullb_create zc 64 1 0 4) || fail "cannot make a zoned null_blk"
zr=$(nullb_create zr 64 1 0 4) || fail "cannot make a zoned null_blk"
[ "$(cat /sys/block/$(basename $zr)/queue/zoned)" = host-managed ] || skip "null_blk is not zoned here"
K64=$(printf '0123456789abcdef%.0s' 1 2 3 4)
len=$((64 * 2048))

facts() { # NAME
    local dm
    dm=$(dmsetup info -c --noheadings -o blkdevname $1)
    echo "table: $(dmsetup table --showkeys $1 | cut -d' ' -f3- | sed 's/ [0-9]*:[0-9]* 0/ DEV 0/; s/^crypt_rs /crypt /')"
    for f in zoned chunk_sectors nr_zones max_sectors_kb max_hw_sectors_kb zone_append_max_bytes \
             max_open_zones max_active_zones logical_block_size; do
        echo "queue $f: $(cat /sys/block/$dm/queue/$f 2>/dev/null)"
    done
    blkzone report /dev/mapper/$1 | head -n 4 | sed 's/^/zones: /'
}

bad=0
for cipher in aes-xts-plain64 "capi:cryptd(xts-aes-aesni)-plain64"; do
    blkzone reset $zc; blkzone reset $zr
    dmsetup create zc --table "0 $len crypt $cipher $K64 0 $zc 0" || fail "C target refuses $zc"
    dmsetup create zr --table "0 $len crypt_rs $cipher $K64 0 $zr 0" || fail "dm-crypt-rs refuses $zr"
    facts zc >/tmp/z-c.txt
    facts zr >/tmp/z-rs.txt
    [ "$cipher" != aes-xts-plain64 ] || sed 's/^/#    /' /tmp/z-rs.txt
    diff /tmp/z-c.txt /tmp/z-rs.txt >/tmp/z.diff || { sed 's/^/# /' /tmp/z.diff; log "$cipher: facts differ"; bad=$((bad + 1)); }
    grep -q "no_write_workqueue" /tmp/z-rs.txt || { log "no_write_workqueue not shown"; bad=$((bad + 1)); }
    # The same sequential writes in the first zones (4 MiB each), some of them large.
    for d in zc zr; do
        blkzone reset /dev/mapper/$d || fail "zone reset on $d"
        dd if=/dev/zero bs=1M count=12 2>/dev/null | tr '\0' 'z' >/tmp/zdata
        dd if=/tmp/zdata of=/dev/mapper/$d bs=256k oflag=direct 2>/dev/null || fail "sequential writes on $d"
        fio --name=seq --filename=/dev/mapper/$d --zonemode=zbd --rw=write --bs=64k --offset=12m \
            --size=8m --direct=1 --ioengine=psync --randrepeat=1 --randseed=5 --refill_buffers \
            --output=/dev/null || fail "fio sequential writes on $d"
    done
    if [ "$(dd if=$zc bs=1M count=20 2>/dev/null | md5sum)" != "$(dd if=$zr bs=1M count=20 2>/dev/null | md5sum)" ]; then
        log "$cipher: ciphertext differs"; bad=$((bad + 1))
    fi
    dmsetup remove zc; dmsetup remove zr
    # Cross-read: the C target reads what dm-crypt-rs wrote.
    dmsetup create zc --table "0 $len crypt $cipher $K64 0 $zr 0"
    dd if=/dev/mapper/zc bs=1M count=12 iflag=direct 2>/dev/null | cmp -s /tmp/zdata - ||
        { log "$cipher: the C target reads other data"; bad=$((bad + 1)); }
    dmsetup remove zc
    # fio's zoned workload with verification on dm-crypt-rs.
    dmsetup create zr --table "0 $len crypt_rs $cipher $K64 0 $zr 0"
    blkzone reset /dev/mapper/zr
    if ! fio --name=zbd --filename=/dev/mapper/zr --zonemode=zbd --rw=randwrite --bs=4k \
        --size=32m --io_size=24m --direct=1 --ioengine=libaio --iodepth=16 --max_open_zones=4 \
        --verify=crc32c --verify_fatal=1 --output=/tmp/fio-zbd.log; then
        cat /tmp/fio-zbd.log; log "$cipher: zoned fio verify failed"; bad=$((bad + 1))
    fi
    dmsetup remove zr
    log "$cipher: done"
done
dmesg | grep -q -e 'BUG:' -e 'WARNING:' -e 'Oops' && fail "kernel warnings: $(dmesg | tail)"
[ $bad -eq 0 ] || fail "$bad zoned checks failed"
exit 0
