#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The multi-data-unit path, crypto API backend (multi_data_unit=api).
#
# On a kernel without the crypto API's data-unit support (Linux 7.3 as released) a table stays
# on the per-sector path, says why, and writes what the C target writes. On the "dataunit"
# test kernel (scripts/kernel-patches/dataunit; `make test` boots it for this test): for each table
# the C target, dm-crypt-rs on this path and on the per-sector path write byte-identical
# ciphertext and read each other's; tables the backend cannot take say why; and with the
# scatterlist allocations failing (FAILSLAB on the writing task, writes converted inline),
# conversions fall back to the per-sector path and every unit reads back as written.
# DMCRS_MDU_API_MIB sets the size per table (default 44 MiB: 264 MiB over the six tables).
. ./lib.sh

use_c_target
use_rs_target crypt_rs
param=/sys/module/dm_crypt_rs/parameters/multi_data_unit
fallbacks=/sys/module/dm_crypt_rs/parameters/multi_data_unit_fallbacks
[ -f $param ] && [ -f $fallbacks ] || fail "no $param or $fallbacks"
on_exit "echo auto >$param"
K32=$(printf '0123456789abcdef%.0s' 1 2 3 4)
K64=$K32$(printf 'fedcba9876543210%.0s' 1 2 3 4)

# path_of NAME MODE TABLE: creates a dm-crypt-rs device with multi_data_unit=MODE and prints
# the path line it logged.
path_of() {
    echo "$2" >$param || fail "multi_data_unit=$2"
    kmsg_mark
    dmsetup create "$1" --table "$3" || fail "$1 refused: $3"
    since_mark | grep -F "dm_crypt_rs: $(dmsetup info -c --noheadings -o major,minor "$1"):" |
        sed 's/.*dm_crypt_rs: [0-9:]*: //'
}

# same_bytes MIB TABLE_ARGS...: the C target, dm-crypt-rs with multi_data_unit=api and with
# off write the same fio workload; their ciphertext must be identical, and the api device
# must read what the C target wrote. Returns 1 (and logs) on a difference.
same_bytes() {
    mib=$1
    shift
    sectors=$((mib * 2048))
    set -- $*
    cipher=$1 key=$2 ivoff=$3 off=$4
    shift 4
    feat="$*"
    bs=512
    case $feat in *sector_size:*) bs=${feat##*sector_size:}; bs=${bs%% *} ;; esac
    for d in /dev/vdb /dev/vda /dev/ram0; do dd if=/dev/zero of=$d bs=1M count=$((mib + 2)) 2>/dev/null; done
    dmsetup create mac --table "0 $sectors crypt $cipher $key $ivoff /dev/vdb $off $feat" ||
        fail "the C target refuses: $cipher $ivoff $off $feat"
    api_line=$(path_of maa api "0 $sectors crypt_rs $cipher $key $ivoff /dev/vda $off $feat")
    off_line=$(path_of mas off "0 $sectors crypt_rs $cipher $key $ivoff /dev/ram0 $off $feat")
    case $off_line in "per-sector path (multi_data_unit=off)"*) ;; *) fail "off: '$off_line'" ;; esac
    for d in mac maa mas; do
        same_writes /dev/mapper/$d $bs $mib
        # Buffered writes too: the page cache hands over large folios.
        fio --name=buf --filename=/dev/mapper/$d --rw=write --bs=256k --offset=$((mib / 2))m \
            --randrepeat=1 --randseed=7 --refill_buffers --ioengine=psync --end_fsync=1 \
            --size=$((mib / 4))m --output=/dev/null || fail "fio buffered on $d"
    done
    dmsetup remove mac; dmsetup remove maa; dmsetup remove mas
    span=$((mib + 2))
    c=$(dd if=/dev/vdb bs=1M count=$span 2>/dev/null | md5sum)
    a=$(dd if=/dev/vda bs=1M count=$span 2>/dev/null | md5sum)
    s=$(dd if=/dev/ram0 bs=1M count=$span 2>/dev/null | md5sum)
    if [ "$c" != "$a" ] || [ "$c" != "$s" ]; then
        log "ciphertext differs (C $c, api $a, per-sector $s): $cipher $ivoff $off $feat"
        return 1
    fi
    # Cross-read: each reads what the other wrote (the same bytes) as the same plaintext.
    dmsetup create mac --table "0 $sectors crypt $cipher $key $ivoff /dev/vda $off $feat"
    path_of maa api "0 $sectors crypt_rs $cipher $key $ivoff /dev/vdb $off $feat" >/dev/null
    x=$(dd if=/dev/mapper/mac bs=1M iflag=direct 2>/dev/null | md5sum)
    y=$(dd if=/dev/mapper/maa bs=1M iflag=direct 2>/dev/null | md5sum)
    z=$(dd if=/dev/mapper/maa bs=64k 2>/dev/null | md5sum)
    dmsetup remove mac; dmsetup remove maa
    if [ "$x" != "$y" ] || [ "$x" != "$z" ]; then
        log "cross-read differs: $cipher $ivoff $off $feat"
        return 1
    fi
    return 0
}

line=$(path_of mdx api "0 8 crypt_rs aes-xts-plain64 $K64 0 /dev/vda 0")
dmsetup remove mdx
case $line in
*"the crypto API has no data-unit support in this kernel"*)
    # Linux 7.3 as released: the per-sector path, same bytes.
    expect_eq "api without the API" \
        "per-sector path (multi_data_unit=api): the crypto API has no data-unit support in this kernel" "$line"
    same_bytes 8 "aes-xts-plain64 $K64 18446744073709551000 0" || fail "per-sector fallback writes other bytes"
    log "no data-unit API in this kernel: the table stayed per sector and wrote the C target's bytes" \
        "(the backend itself is tested on the dataunit kernel)"
    exit 0 ;;
*"multi-data-unit path, crypto API backend ("*) ;;
*) fail "api: unexpected path line '$line'" ;;
esac
log "backend: $line"
# The crypto manager tested the implementation, multi-data-unit self-test included
# (CONFIG_CRYPTO_SELFTESTS in the dataunit kernel).
drv=$(echo "$line" | sed -n 's/.*crypto API backend (\([^,]*\),.*/\1/p')
selftest=$(awk -v d="$drv" '$1 == "driver" { cur = $3 } cur == d && $1 == "selftest" { print $3; exit }' /proc/crypto)
expect_eq "self-test of $drv in /proc/crypto" passed "$selftest"

# Byte equivalence: "<max_fragment_pages> <cipher> <key> <iv_offset> <offset> [<features>]"
# (max_fragment_pages > 0 cuts dm-crypt-rs's writes into fragments of that many pages).
# xts(cryptd(...)) is asynchronous: its requests complete later, from the cryptd worker.
# The first table's IV sector wraps past 2^64 - 1 (a u64 in C; the transform's counter is 128
# bits wide, so the bios across the wrap go sector by sector).
mib=${DMCRS_MDU_API_MIB:-44}
frag=/sys/module/dm_crypt_rs/parameters/max_fragment_pages
on_exit "echo 0 >$frag"
cat >/tmp/mdu-api-tables <<EOT
0 aes-xts-plain64 $K32 18446744073709551000 0
0 aes-xts-plain64 $K64 8 0 2 sector_size:4096 iv_large_sectors
3 aes-xts-plain64 $K64 4294967000 2048 2 sector_size:1024 iv_large_sectors
0 capi:xts(aes)-plain64 $K64 5 0 2 no_read_workqueue no_write_workqueue
0 aes-xts-plain64 $K32 76 8 3 sector_size:2048 iv_large_sectors submit_from_crypt_cpus
2 capi:xts(cryptd(ecb-aes-aesni))-plain64 $K64 3 0
EOT
n=0 bad=0
while read -r fp t; do
    n=$((n + 1))
    echo "$fp" >$frag || fail "max_fragment_pages=$fp"
    if same_bytes "$mib" "$t"; then
        drv=$(echo "$api_line" | sed -n 's/.*crypto API backend (\([^,]*\),.*/\1/p')
        log "table $n ok ($mib MiB$([ "$fp" = 0 ] || echo ", $fp-page fragments"), $drv): $(echo "$t" | cut -d' ' -f1,3-)"
        case $api_line in *"crypto API backend ("*) ;; *) fail "table $n: api took '$api_line'" ;; esac
    else
        bad=$((bad + 1))
    fi
done </tmp/mdu-api-tables
echo 0 >$frag
[ $bad -eq 0 ] || fail "$bad of $n tables differ"

# Tables the backend cannot take stay per sector, and say why.
why() { # EXPECTED TABLE
    got=$(path_of mdx api "$2")
    dmsetup remove mdx
    expect_eq "api: $2" "per-sector path (multi_data_unit=api): $1" "$got"
}
why "the crypto API's data units need the plain64 IV (plain wraps at 32 bits)" \
    "0 8 crypt_rs aes-xts-plain $K64 0 /dev/vda 0"
why "the IV counts 512-byte sectors, not data units (no iv_large_sectors)" \
    "0 8 crypt_rs aes-xts-plain64 $K64 0 /dev/vda 0 1 sector_size:4096"
why "no implementation of the cipher takes data units" \
    "0 8 crypt_rs aes-cbc-plain64 $K32 0 /dev/vda 0"
why "IV mode other than plain or plain64" "0 8 crypt_rs aes-cbc-essiv:sha256 $K32 0 /dev/vda 0"
# auto takes the backend only where the cipher's own implementation takes data units: not
# for xts(aes), which is the AES-NI driver here, but for a cipher name that resolves to the
# xts template.
got=$(path_of mdx auto "0 8 crypt_rs aes-xts-plain64 $K64 0 /dev/vda 0")
dmsetup remove mdx
case $got in *"crypto API backend"*) fail "auto took the crypto API backend: $got" ;; esac
got=$(path_of mdx auto "0 8 crypt_rs capi:xts(cryptd(ecb-aes-aesni))-plain64 $K64 0 /dev/vda 0")
dmsetup remove mdx
case $got in
"multi-data-unit path, crypto API backend (xts(cryptd(ecb-aes-aesni)), "*"(multi_data_unit=auto)") ;;
*) fail "auto with an implementation that takes data units: '$got'" ;;
esac

# Fault injection on the scatterlist allocation: the writing task's slab allocations fail a
# fifth of the time; writes are converted inline, in that task (which needs a synchronous
# implementation: named here, though multi_data_unit=api prefers a synchronous one to the
# asynchronous xts(cryptd(...)) of table 6, which would outrank it). Conversions whose scatterlists fail go sector
# by sector; nothing reads back wrong.
dbg=/sys/kernel/debug/failslab
if [ -d $dbg ]; then
    disarm() { echo 0 >$dbg/probability; }
    on_exit disarm
    line=$(path_of flt api "0 131072 crypt_rs capi:xts(ecb-aes-aesni)-plain64 $K64 0 /dev/vda 0 2 no_read_workqueue no_write_workqueue")
    case $line in *"crypto API backend (xts(ecb-aes-aesni)"*) ;; *) fail "fault table: '$line'" ;; esac
    blocks=256 bs=65536
    dmcrs-blk init /dev/mapper/flt $blocks $bs /tmp/mdu-flt.state >/dev/null || fail "dmcrs-blk init"
    before=$(cat $fallbacks)
    echo 0 >$dbg/verbose; echo 0 >$dbg/space; echo 1 >$dbg/interval; echo -1 >$dbg/times
    echo N >$dbg/ignore-gfp-wait; echo Y >$dbg/task-filter; echo 20 >$dbg/probability
    out=$(DMCRS_BLK_FAULTS=1 dmcrs-blk run /dev/mapper/flt $blocks $bs /tmp/mdu-flt.state ${DMCRS_FAULT_OPS:-3000} 7)
    rc=$?
    disarm
    after=$(cat $fallbacks)
    log "faults: $(echo "$out" | tail -n1); fallbacks to the per-sector path: $((after - before))"
    [ $rc -eq 0 ] || { echo "$out"; fail "data read back wrong under faults (rc $rc)"; }
    [ $((after - before)) -gt 0 ] || fail "no conversion fell back: the scatterlist allocations were not failed"
    out=$(dmcrs-blk verify /dev/mapper/flt $blocks $bs /tmp/mdu-flt.state) ||
        { echo "$out"; fail "data read back wrong after the faults"; }
    dmsetup remove flt
else
    log "no FAILSLAB in this kernel: the fallback is not exercised"
    fail "the dataunit kernel must have CONFIG_FAILSLAB"
fi

# The crypto manager's multi-data-unit self-test passed (the xts template was instantiated).
dmesg | grep -F 'alg: skcipher:' && fail "crypto self-test failures"
dmesg | grep -q -e 'BUG:' -e 'WARNING:' -e 'Oops' && fail "kernel warnings: $(dmesg | tail)"
log "$n tables ($((n * mib)) MiB each way), 4 refusals, auto both ways, fault injection: all ok"
exit 0
