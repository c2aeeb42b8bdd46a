#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The C dm-crypt in this kernel is a sound oracle: its aes-xts-plain64 ciphertext matches the
# IEEE 1619 XTS-AES known answers (vectors 1 and 2), and data reads back.
. ./lib.sh

use_c_target
dev=/dev/vda
[ -b $dev ] || skip "no scratch disk $dev"

zeros64=$(printf '0%.0s' $(seq 64))
# Vector 1: keys 0, data unit 0, 32 zero bytes.
dd if=/dev/zero of=$dev bs=1M count=1 2>/dev/null
dm_create oracle "0 8 crypt aes-xts-plain64 $zeros64 0 $dev 0" || fail "C target refused the table"
dd if=/dev/zero of=/dev/mapper/oracle bs=512 count=1 oflag=direct 2>/dev/null || fail "write failed"
expect_eq "IEEE 1619 vector 1" \
    917cf69ebd68b2ec9b9fe9a3eadda692cd43d2f59598ed858c02c2652fbf922e "$(hexbytes $dev 0 32)"
expect_eq "plaintext read back" "$(printf '0%.0s' $(seq 64))" "$(hexbytes /dev/mapper/oracle 0 32)"
dmsetup remove oracle

# Vector 2: key1 = 11.., key2 = 22.., data unit 0x3333333333 (via iv_offset), 32 bytes of 0x44.
key=$(printf '1%.0s' $(seq 32))$(printf '2%.0s' $(seq 32))
dm_create oracle2 "0 8 crypt aes-xts-plain64 $key $((0x3333333333)) $dev 0" || fail "table 2 refused"
printf '\104%.0s' $(seq 512) | dd of=/dev/mapper/oracle2 bs=512 count=1 oflag=direct 2>/dev/null
expect_eq "IEEE 1619 vector 2" \
    c454185e6a16936e39334038acef838bfb186fff7480adc4289382ecd6d394f0 "$(hexbytes $dev 0 32)"
exit 0
