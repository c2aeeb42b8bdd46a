#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# fio verify (crc32c) on dm-crypt-rs: random sizes 512 B - 1 MiB, queue depth 32, two jobs,
# with the synchronous cipher, with an asynchronous one (cryptd), with small write fragments
# forced, and inline (no_read_workqueue no_write_workqueue) on devices that complete in hard
# interrupt context (virtio, null_blk's timer mode), in softirq (null_blk) and in the
# submitter's context (brd). Zero mismatches.
. ./lib.sh

use_rs_target
mib=${DMCRS_FIO_MIB:-64}
K64=$(printf '0123456789abcdef%.0s' 1 2 3 4)
frag=/sys/module/dm_crypt_rs/parameters/max_fragment_pages

run() { # NAME CIPHER [DEVICE [FEATURES...]]
    name=$1 cipher=$2 dev=${3:-/dev/vda}
    shift 2
    [ $# -eq 0 ] || shift
    feat=
    [ $# -eq 0 ] || feat=" $# $*"
    set -- "$name" "$cipher"
    dm_create fv "0 $((mib * 2048)) crypt $2 $K64 0 $dev 0$feat" || fail "$1: table refused"
    if ! fio --name="$1" --filename=/dev/mapper/fv --rw=randwrite --bsrange=512-1m --blockalign=512 \
        --ioengine=libaio --iodepth=32 --numjobs=2 --offset_increment=$((mib / 2))m \
        --size=$((mib / 2))m --direct=1 --verify=crc32c --verify_fatal=1 --do_verify=1 \
        --group_reporting --output=/tmp/fio-$1.log; then
        cat /tmp/fio-$1.log
        fail "$1: fio verify failed"
    fi
    grep -q "err= 0" /tmp/fio-$1.log || { cat /tmp/fio-$1.log; fail "$1: fio reported errors"; }
    dmsetup remove fv
    log "$1: verified"
}

run sync aes-xts-plain64
run cryptd "capi:cryptd(xts-aes-aesni)-plain64"
echo 1 >$frag
run fragments aes-xts-plain64
run fragments-cryptd "capi:cryptd(xts-aes-aesni)-plain64"
echo 0 >$frag

# null_blk devices completing in softirq (irqmode 1) and from a timer (irqmode 2).
nullb_setup || fail "cannot load null_blk"
on_exit "nullb_remove fv1; nullb_remove fv2"
nullb1=$(nullb_create fv1 $((mib + 1)) 1 1) || fail "cannot make null_blk fv1"
nullb2=$(nullb_create fv2 $((mib + 1)) 1 2) || fail "cannot make null_blk fv2"
inline="no_read_workqueue no_write_workqueue"
run inline-virtio aes-xts-plain64 /dev/vda $inline
run inline-brd aes-xts-plain64 /dev/ram1 $inline
run inline-nullb-softirq aes-xts-plain64 $nullb1 $inline
run inline-nullb-timer aes-xts-plain64 $nullb2 $inline
run inline-cryptd "capi:cryptd(xts-aes-aesni)-plain64" $nullb1 $inline
echo 1 >$frag
run inline-fragments aes-xts-plain64 $nullb1 $inline
echo 0 >$frag
dmesg | grep -q -e 'BUG:' -e 'WARNING:' -e 'Oops' && fail "kernel warnings: $(dmesg | tail)"
exit 0
