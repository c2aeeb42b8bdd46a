#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Discards (with allow_discards) and flushes pass through dm-crypt-rs to the device, and
# bios larger than max_write_size are split without harm.
. ./lib.sh

use_rs_target
dev=/dev/ram0
K64=$(printf '0123456789abcdef%.0s' 1 2 3 4)
dd if=/dev/urandom of=$dev bs=1M count=16 2>/dev/null
dm_create dc "0 32768 crypt aes-xts-plain64 $K64 0 $dev 0 1 allow_discards" || fail "table refused"
expect_eq "status" "0 32768 crypt aes-xts-plain64 $K64 0 1:0 0 1 allow_discards" \
    "$(dmsetup table --showkeys dc)"
[ "$(cat /sys/block/dm-0/queue/discard_max_bytes)" != 0 ] || fail "no discard support advertised"
blkdiscard -o 1048576 -l 4194304 /dev/mapper/dc || fail "blkdiscard failed"
# brd frees discarded pages: they read back as zeros on the device itself.
[ "$(dd if=$dev bs=1M skip=1 count=4 2>/dev/null | md5sum)" = \
  "$(dd if=/dev/zero bs=1M count=4 2>/dev/null | md5sum)" ] || fail "discard did not reach the device"

# Flushes: an fsync'ed write goes through (the flush is remapped, not failed).
dd if=/dev/urandom of=/tmp/d bs=1M count=2 2>/dev/null
dd if=/tmp/d of=/dev/mapper/dc bs=1M conv=fsync 2>/dev/null || fail "write with fsync failed"

# Split: 4 KiB max write size, 1 MiB writes.
echo 4096 >/sys/module/dm_crypt_rs/parameters/max_write_size
echo 4096 >/sys/module/dm_crypt_rs/parameters/max_read_size
dd if=/tmp/d of=/dev/mapper/dc bs=1M seek=8 oflag=direct 2>/dev/null || fail "split write failed"
echo 0 >/sys/module/dm_crypt_rs/parameters/max_write_size
echo 0 >/sys/module/dm_crypt_rs/parameters/max_read_size
[ "$(dd if=/dev/mapper/dc bs=1M skip=8 count=2 iflag=direct 2>/dev/null | md5sum)" = "$(md5sum </tmp/d)" ] ||
    fail "split write reads back wrong"
exit 0
