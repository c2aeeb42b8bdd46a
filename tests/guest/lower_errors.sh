#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Errors of the lower device, as the C target sees them: both targets, the same table, each on
# its own dm-flakey or dm-error device over the same ramdisk. For every failure mode (reads
# failing, writes failing, writes dropped, everything failing, read data corrupted, an error
# segment), block-by-block writes and reads of 64 KiB must fail and succeed for the same
# blocks with both targets, read back the same data, and leave the same ciphertext.
. ./lib.sh

use_c_target
use_rs_target crypt_rs
[ -f /lib/modules/kernel/dm-flakey.ko ] || skip "no dm-flakey module"
module_loaded dm_flakey || { insmod /lib/modules/kernel/dm-flakey.ko || fail "cannot load dm-flakey"; }
K64=$(printf '0123456789abcdef%.0s' 1 2 3 4)
len=65536 # sectors of each stack (32 MiB)
off_c=0 off_rs=131072

lower_table() { # MODE OFFSET
    case $1 in
        linear) echo "0 $len linear /dev/ram0 $2" ;;
        error-segment)
            printf '0 16384 linear /dev/ram0 %s\n16384 2048 error\n18432 %s linear /dev/ram0 %s\n' \
                "$2" $((len - 18432)) $(($2 + 18432)) ;;
        all-down) echo "0 $len flakey /dev/ram0 $2 0 3600" ;;
        corrupt-reads) echo "0 $len flakey /dev/ram0 $2 0 3600 5 corrupt_bio_byte 32 r 1 0" ;;
        *) echo "0 $len flakey /dev/ram0 $2 0 3600 1 $1" ;;
    esac
}

set_lower() { # NAME MODE OFFSET
    lower_table "$2" "$3" | dmsetup load "$1" || return 1
    dmsetup suspend "$1" && dmsetup resume "$1"
}

for side in c rs; do
    eval off=\$off_$side
    lower_table linear $off | dmsetup create low_$side || fail "cannot make the lower device"
    on_exit "dmsetup remove --retry low_$side 2>/dev/null"
done
dm_create top_c "0 $len crypt aes-xts-plain64 $K64 0 /dev/mapper/low_c 0" || fail "C table refused"
dm_create top_rs "0 $len crypt_rs aes-xts-plain64 $K64 0 /dev/mapper/low_rs 0" || fail "rs table refused"

ciphertext() { # OFFSET
    dd if=/dev/ram0 bs=512 skip="$1" count=$len 2>/dev/null | md5sum | cut -d' ' -f1
}

seed=1
for mode in error_reads error_writes drop_writes all-down corrupt-reads error-segment; do
    seed=$((seed + 1))
    dmcrs-blk scan /dev/mapper/top_c 65536 write 1 >/dev/null
    dmcrs-blk scan /dev/mapper/top_rs 65536 write 1 >/dev/null
    for side in c rs; do
        eval off=\$off_$side
        set_lower low_$side $mode $off || fail "$mode: cannot load the lower table"
        dmcrs-blk scan /dev/mapper/top_$side 65536 write $seed >/tmp/w_$side
        dmcrs-blk scan /dev/mapper/top_$side 65536 read 0 >/tmp/r_$side
        set_lower low_$side linear $off || fail "$mode: cannot restore the lower table"
        dmcrs-blk scan /dev/mapper/top_$side 65536 read 0 >/tmp/a_$side
    done
    for f in w r a; do
        cmp -s /tmp/${f}_c /tmp/${f}_rs || {
            echo "# C:";  sed 's/^/#   /' /tmp/${f}_c
            echo "# rs:"; sed 's/^/#   /' /tmp/${f}_rs
            fail "$mode: dm-crypt-rs differs from the C target ($f)"
        }
    done
    [ "$(ciphertext $off_c)" = "$(ciphertext $off_rs)" ] || fail "$mode: the ciphertext differs"
    log "$mode: $(head -n1 /tmp/w_rs | tr -d '.\n' | wc -c) writes and" \
        "$(head -n1 /tmp/r_rs | tr -d '.\n' | wc -c) reads of 64 KiB failed, with both targets alike"
done
# The modes did fail something (else this test proves nothing).
grep -q E /tmp/r_rs || fail "the error segment caused no read error"
dmesg | grep -q -e 'BUG:' -e 'WARNING:' -e 'Oops' && fail "kernel warnings: $(dmesg | tail)"
exit 0
