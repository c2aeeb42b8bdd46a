#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Every optional parameter behaves as with the C target: for a matrix of tables (each flag,
# combinations, odd spelling, duplicates, sector sizes, key forms) the two targets show the
# same table and IMA status lines, the same stacked queue limits, the same workqueues (flags,
# concurrency, priority) and the same dmcrypt_write thread (and its priority). Each device is
# made alone, so the threads and workqueues seen are its own.
. ./lib.sh

use_c_target
use_rs_target crypt_rs
K64=$(printf '0123456789abcdef%.0s' 1 2 3 4)
keyhex() { printf '%s' "$1" | sed 's/../\\x&/g'; }
printf "$(keyhex $K64)" | keyctl padd logon dmcrs:opt @u >/dev/null 2>&1 && keyctl link @u @s 2>/dev/null
printf "$(keyhex $K64)" | keyctl padd user dmcrs-opt @u >/dev/null 2>&1
printf "$(keyhex $K64)" | keyctl padd user dmcrs-kmk @u >/dev/null 2>&1
keyctl add encrypted dmcrs-enc "new default user:dmcrs-kmk 64" @u >/dev/null 2>&1
dd if=/dev/zero of=/dev/vda bs=1M count=4 2>/dev/null
dd if=/dev/zero of=/dev/vdb bs=1M count=4 2>/dev/null

cat >/tmp/opt-tables <<EOT
aes-xts-plain64 $K64 0 0
aes-xts-plain64 $K64 0 0 1 allow_discards
aes-xts-plain64 $K64 0 0 1 same_cpu_crypt
aes-xts-plain64 $K64 0 0 1 high_priority
aes-xts-plain64 $K64 0 0 1 submit_from_crypt_cpus
aes-xts-plain64 $K64 0 0 1 no_read_workqueue
aes-xts-plain64 $K64 0 0 1 no_write_workqueue
aes-xts-plain64 $K64 0 0 7 allow_discards same_cpu_crypt high_priority submit_from_crypt_cpus no_read_workqueue no_write_workqueue iv_large_sectors
aes-xts-plain64 $K64 0 0 3 Same_CPU_Crypt HIGH_PRIORITY allow_discards
aes-xts-plain64 $K64 0 0 2 allow_discards allow_discards
aes-xts-plain64 $K64 0 0 1 sector_size:4096
aes-xts-plain64 $K64 8 0 2 sector_size:4096 iv_large_sectors
aes-xts-plain64 $K64 0 0 1 sector_size:1024
aes-xts-plain64 $K64 0 0 1 sector_size:66048
aes-xts-plain64 $K64 0 0 1 iv_large_sectors ignored_after_the_count
aes-xts-plain64 :32:logon:dmcrs:opt 0 0 1 same_cpu_crypt
aes-xts-plain64 :32:user:dmcrs-opt 0 0
aes-xts-plain64 :64:encrypted:dmcrs-enc 0 0 1 sector_size:4096
aes-cbc-essiv:sha256 :32:logon:dmcrs:opt 0 0
capi:xts(aes)-plain64 $K64 0 0
cipher_null-ecb - 0 0
aes-xts-plain64 $K64 0 0 1 integrity:16:none
aes-xts-plain64 $K64 0 0 3 integrity_key_size:32 integrity:8:None sector_size:4096
aes-cbc-essiv:sha256 $(printf '%.64s' $K64) 16 8 1 submit_from_crypt_cpus
EOT

# facts NAME: what the device shows of itself.
facts() {
    local name=$1 dm dev wq kind c p f
    echo "table: $(dmsetup table --showkeys $name | cut -d' ' -f3- | sed 's/ 254:[0-9]* / DEV /; s/^crypt_rs /crypt /')"
    echo "info: $(dmsetup status $name | cut -d' ' -f3- | sed 's/^crypt_rs/crypt/')"
    echo "ima: $(dmsetup measure $name 2>/dev/null | sed 's/target_name=crypt_rs,/target_name=crypt,/; s/.*target_name=/target_name=/')"
    dm=$(dmsetup info -c --noheadings -o blkdevname $name)
    for f in logical_block_size physical_block_size minimum_io_size optimal_io_size max_sectors_kb \
             max_hw_sectors_kb max_segments discard_max_bytes discard_granularity \
             atomic_write_max_bytes atomic_write_unit_max_bytes rotational; do
        [ -f /sys/block/$dm/queue/$f ] && echo "queue $f: $(cat /sys/block/$dm/queue/$f)"
    done
    dev=$(cat /sys/block/$dm/dev)
    for wq in /sys/devices/virtual/workqueue/kcryptd*-$dev-*; do
        [ -d "$wq" ] || continue
        kind=$(basename "$wq" | sed 's/-.*//')
        echo "workqueue $kind: per_cpu=$(cat $wq/per_cpu) max_active=$(cat $wq/max_active) nice=$(cat $wq/nice 2>/dev/null || echo -)"
    done
    for c in /proc/[0-9]*/comm; do
        case $(cat $c 2>/dev/null) in
            dmcrypt_write*)
                p=${c%/comm}
                echo "write thread: nice=$(cut -d' ' -f19 $p/stat)" ;;
        esac
    done
}

n=0 bad=0
while IFS= read -r line; do
    n=$((n + 1))
    set -- $line
    cipher=$1 key=$2 ivoff=$3 off=$4
    shift 4
    feat="$*"
    len=4096
    out=
    for t in crypt crypt_rs; do
        d=/dev/vdb
        [ $t = crypt_rs ] && d=/dev/vda
        if dmsetup create opt --table "0 $len $t $cipher $key $ivoff $d $off $feat" 2>/dev/null; then
            facts opt >/tmp/opt-$t.txt
            dmsetup remove opt
        else
            echo "refused" >/tmp/opt-$t.txt
        fi
    done
    if ! diff /tmp/opt-crypt.txt /tmp/opt-crypt_rs.txt >/tmp/opt.diff; then
        log "table $n differs: $line"
        sed 's/^/#    /' /tmp/opt.diff
        bad=$((bad + 1))
    else
        log "table $n ok: $(head -n1 /tmp/opt-crypt.txt | cut -c1-100)"
    fi
    # Show what was compared, once.
    [ $n -ne 8 ] || sed 's/^/#    /' /tmp/opt-crypt_rs.txt
    # The facts must have been looked at: every accepted table has workqueues and a status.
    if ! grep -q refused /tmp/opt-crypt.txt; then
        grep -q '^workqueue kcryptd_io: ' /tmp/opt-crypt_rs.txt || { log "table $n: no kcryptd_io workqueue seen"; bad=$((bad + 1)); }
        grep -q '^write thread: ' /tmp/opt-crypt_rs.txt || { log "table $n: no write thread seen"; bad=$((bad + 1)); }
    fi
done </tmp/opt-tables
log "$n tables, $bad differences"
[ $bad -eq 0 ] || fail "$bad of $n tables differ from the C target"
exit 0
