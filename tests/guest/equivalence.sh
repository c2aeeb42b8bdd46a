#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# For each table: the same writes through the C target and dm-crypt-rs give byte-identical
# ciphertext on the lower devices, and what one wrote reads back through the other.
# DMCRS_EQ_MIB sets the size per table (default 32 MiB), DMCRS_EQ_TABLES how many of the
# tables run (default all; the debug kernel runs a few).
. ./lib.sh

use_c_target
use_rs_target crypt_rs
mib=${DMCRS_EQ_MIB:-32}
sectors=$((mib * 2048))
K32=$(printf '0123456789abcdef%.0s' 1 2)
K64=$(printf 'fedcba9876543210%.0s' 1 2 3 4)
K128=$K64$(printf '0011223344556677%.0s' 1 2 3 4)
# loop-AES: 64 keys (version 2), 65 with the IV seed (version 3); 16 bytes each.
LMK2=$(for i in $(seq 64); do printf '%02x%030x' $i $((i * 7919)); done)
LMK3=$LMK2$(printf 'a5%.0s' $(seq 16))

# "<cipher> <key> <iv_offset> <offset> [<features>]"; the devices are filled in.
cat >/tmp/eq-tables <<EOT
aes-xts-plain64 $K64 0 0
aes-xts-plain64 $K128 0 0
aes-xts-plain64 $K64 0 0 1 sector_size:4096
aes-xts-plain64 $K64 8 0 2 sector_size:4096 iv_large_sectors
aes-xts-plain64 $K64 123456 2048
aes-cbc-essiv:sha256 $K32 0 0
aes-cbc-essiv:sha256 $K64 16 8 1 sector_size:4096
aes-cbc-plain $K32 5 0
aes-cbc-plain64be $K32 0 0
aes-lrw-benbi $(printf '00%.0s' $(seq 48)) 0 0
aes-cbc-null $K32 0 0
aes:4-cbc-plain64 $K128 0 0
aes:4-xts-plain64 $K128$K128 0 0 1 sector_size:4096
capi:xts(aes)-plain64 $K64 0 0
capi:cbc(aes)-essiv:sha256 $K32 0 0
serpent-xts-plain64 $K64 0 0
twofish-xts-plain64 $K64 0 0
capi:cryptd(xts-aes-aesni)-plain64 $K64 0 0
aes:64-cbc-lmk $LMK2 0 0
aes:64-cbc-lmk $LMK3 7 0
capi:cbc(aes)-lmk $LMK3 0 0
capi:cryptd(cbc-aes-aesni)-lmk $LMK3 0 0
aes-cbc-tcw $K64$K32 0 0
aes-cbc-tcw $K128 9 0
capi:cryptd(cbc-aes-aesni)-tcw $K64$K32 0 0
aes-cbc-eboiv $K32 0 0
aes-cbc-eboiv $K64 0 0 2 sector_size:4096 iv_large_sectors
aes-cbc-elephant $K64 0 0
aes-cbc-elephant $K128 0 0 2 sector_size:4096 iv_large_sectors
capi:cryptd(cbc-aes-aesni)-elephant $K64 3 0
EOT


n=0 bad=0
[ -z "${DMCRS_EQ_TABLES:-}" ] || { head -n "$DMCRS_EQ_TABLES" /tmp/eq-tables >/tmp/eq-some; mv /tmp/eq-some /tmp/eq-tables; }
while IFS= read -r line; do
    n=$((n + 1))
    set -- $line
    cipher=$1 key=$2 ivoff=$3 off=$4
    shift 4
    feat="$*"
    bs=512
    case $feat in *sector_size:4096*) bs=4096 ;; esac
    len=$sectors
    dd if=/dev/zero of=/dev/vda bs=1M count=$((mib + 2)) 2>/dev/null
    dd if=/dev/zero of=/dev/vdb bs=1M count=$((mib + 2)) 2>/dev/null
    if ! dmsetup create eqc --table "0 $len crypt $cipher $key $ivoff /dev/vdb $off $feat"; then
        log "table $n: C target refuses: $line"; bad=$((bad + 1)); continue
    fi
    if ! dmsetup create eqr --table "0 $len crypt_rs $cipher $key $ivoff /dev/vda $off $feat"; then
        log "table $n: dm-crypt-rs refuses: $line"; dmsetup remove eqc; bad=$((bad + 1)); continue
    fi
    expect_eq "status table $n" "$(dmsetup table --showkeys eqc | cut -d' ' -f4- | sed 's/ 254:[0-9]* / DEV /')" \
        "$(dmsetup table --showkeys eqr | cut -d' ' -f4- | sed 's/ 254:[0-9]* / DEV /')"
    # The same writes: a random mix of sizes and offsets, then a sequential pass.
    for d in eqc eqr; do same_writes /dev/mapper/$d $bs $mib; done
    dmsetup remove eqc; dmsetup remove eqr
    span=$((mib + 2))
    if [ "$(dd if=/dev/vda bs=1M count=$span 2>/dev/null | md5sum)" != \
         "$(dd if=/dev/vdb bs=1M count=$span 2>/dev/null | md5sum)" ]; then
        log "table $n: ciphertext differs: $line"
        bad=$((bad + 1)); continue
    fi
    # Cross-read: what dm-crypt-rs wrote (vda), read through both targets.
    dmsetup create eqc --table "0 $len crypt $cipher $key $ivoff /dev/vda $off $feat"
    dmsetup create eqr --table "0 $len crypt_rs $cipher $key $ivoff /dev/vda $off $feat"
    a=$(dd if=/dev/mapper/eqc bs=1M iflag=direct 2>/dev/null | md5sum)
    b=$(dd if=/dev/mapper/eqr bs=1M iflag=direct 2>/dev/null | md5sum)
    dmsetup remove eqc; dmsetup remove eqr
    if [ "$a" != "$b" ]; then
        log "table $n: cross-read differs: $line"; bad=$((bad + 1)); continue
    fi
    log "table $n ok: $cipher $feat"
done </tmp/eq-tables
log "$n tables, $bad failures"
[ $bad -eq 0 ] || fail "$bad of $n tables failed"
exit 0
