#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The multi-data-unit path, library backend (multi_data_unit=lib): for each AES-XTS table
# the same writes through the C target, through dm-crypt-rs on that path and through
# dm-crypt-rs on the per-sector path give byte-identical ciphertext, and what each wrote
# reads back through the others; dmesg names the path per device. DMCRS_MDU_MIB sets the
# size per table (default 40 MiB: 280 MiB over the seven tables).
. ./lib.sh

use_c_target
use_rs_target crypt_rs
param=/sys/module/dm_crypt_rs/parameters/multi_data_unit
[ -f $param ] || fail "no $param"
expect_eq "default multi_data_unit" auto "$(cat $param)"
echo bogus >$param 2>/dev/null && fail "multi_data_unit accepts 'bogus'"
on_exit "echo auto >$param"
mib=${DMCRS_MDU_MIB:-40}
sectors=$((mib * 2048))
K32=$(printf '0123456789abcdef%.0s' 1 2 3 4)
K48=$K32$(printf '00112233445566778899aabbccddeeff')
K64=$K32$(printf 'fedcba9876543210%.0s' 1 2 3 4)

# "<cipher> <key> <iv_offset> <offset> [<features>]" (key sizes in bytes: 32, 48, 64). The
# first table's IV sector wraps past 2^64 - 1 after 616 sectors, as a u64 does in C.
cat >/tmp/mdu-tables <<EOT
aes-xts-plain64 $K32 18446744073709551000 0
aes-xts-plain64 $K64 0 0 1 sector_size:4096
aes-xts-plain64 $K64 8 0 2 sector_size:4096 iv_large_sectors
aes-xts-plain $K48 123456 2048
aes-xts-plain $K64 4294967000 0 1 sector_size:1024
capi:xts(aes)-plain64 $K64 5 0 2 no_read_workqueue no_write_workqueue
aes-xts-plain64 $K32 76 8 3 sector_size:2048 iv_large_sectors submit_from_crypt_cpus
EOT

# rs_create NAME MODE TABLE: a dm-crypt-rs device loaded with multi_data_unit=MODE; checks
# which path dmesg says it took.
rs_create() {
    echo "$2" >$param || fail "multi_data_unit=$2"
    kmsg_mark
    dmsetup create "$1" --table "$3" || return 1
    _want="per-sector path (multi_data_unit=off)"
    [ "$2" = lib ] && _want="multi-data-unit path, AES-XTS library backend (multi_data_unit=lib"
    since_mark | grep -qF "$_want" || {
        dmesg | tail -n 5 | sed 's/^/# /'
        fail "$1: dmesg does not say '$_want'"
    }
}

devs="/dev/vdb /dev/vda /dev/ram0"
n=0 bad=0
while IFS= read -r line; do
    n=$((n + 1))
    set -- $line
    cipher=$1 key=$2 ivoff=$3 off=$4
    shift 4
    feat="$*"
    bs=512
    case $feat in *sector_size:*) bs=${feat##*sector_size:}; bs=${bs%% *} ;; esac
    for d in $devs; do dd if=/dev/zero of=$d bs=1M count=$((mib + 2)) 2>/dev/null; done
    dmsetup create mdc --table "0 $sectors crypt $cipher $key $ivoff /dev/vdb $off $feat" ||
        fail "table $n: the C target refuses: $line"
    rs_create mdl lib "0 $sectors crypt_rs $cipher $key $ivoff /dev/vda $off $feat" ||
        fail "table $n: dm-crypt-rs (lib) refuses: $line"
    rs_create mds off "0 $sectors crypt_rs $cipher $key $ivoff /dev/ram0 $off $feat" ||
        fail "table $n: dm-crypt-rs (per sector) refuses: $line"
    for d in mdc mdl mds; do same_writes /dev/mapper/$d $bs $mib; done
    dmsetup remove mdc; dmsetup remove mdl; dmsetup remove mds
    span=$((mib + 2))
    c=$(dd if=/dev/vdb bs=1M count=$span 2>/dev/null | md5sum)
    l=$(dd if=/dev/vda bs=1M count=$span 2>/dev/null | md5sum)
    s=$(dd if=/dev/ram0 bs=1M count=$span 2>/dev/null | md5sum)
    if [ "$c" != "$l" ] || [ "$c" != "$s" ]; then
        log "table $n: ciphertext differs (C $c, lib $l, per-sector $s): $line"
        bad=$((bad + 1)); continue
    fi
    # Cross-read: the library path reads what the C target wrote, and the C target what the
    # library path wrote, which are the same bytes; both give the same plaintext.
    dmsetup create mdc --table "0 $sectors crypt $cipher $key $ivoff /dev/vda $off $feat"
    rs_create mdl lib "0 $sectors crypt_rs $cipher $key $ivoff /dev/vdb $off $feat"
    a=$(dd if=/dev/mapper/mdc bs=1M iflag=direct 2>/dev/null | md5sum)
    b=$(dd if=/dev/mapper/mdl bs=1M iflag=direct 2>/dev/null | md5sum)
    dmsetup remove mdc; dmsetup remove mdl
    if [ "$a" != "$b" ]; then
        log "table $n: cross-read differs: $line"; bad=$((bad + 1)); continue
    fi
    log "table $n ok: $cipher $(( ${#key} / 2 ))-byte key iv_offset $ivoff $feat"
done </tmp/mdu-tables

# Key wipe and key set reach the library key: data written before reads back after, and
# reads while wiped do not give the plaintext.
dd if=/dev/urandom of=/tmp/mdu-data bs=1M count=4 2>/dev/null
rs_create mdk lib "0 $sectors crypt_rs aes-xts-plain64 $K64 0 /dev/vda 0"
on_exit "dmsetup remove --retry mdk 2>/dev/null"
dd if=/tmp/mdu-data of=/dev/mapper/mdk bs=1M oflag=direct 2>/dev/null || fail "write before key wipe"
dmsetup suspend mdk && dmsetup message mdk 0 key wipe || fail "key wipe"
dmsetup resume mdk 2>/dev/null && fail "resume with a wiped key succeeds"
dmsetup message mdk 0 key set "$K64" && dmsetup resume mdk || fail "key set and resume"
readback() { dd if=/dev/mapper/mdk of=/tmp/mdu-read bs=1M count=4 iflag=direct 2>/dev/null; }
readback && cmp /tmp/mdu-data /tmp/mdu-read || fail "data differs after key wipe and set"
dmsetup suspend mdk && dmsetup message mdk 0 key set "$(printf '13579bdf2468ace0%.0s' 1 2 3 4 5 6 7 8)" && dmsetup resume mdk ||
    fail "key set (another key)"
readback && ! cmp -s /tmp/mdu-data /tmp/mdu-read || fail "another key reads the same plaintext"
dmsetup remove mdk

# Tables the library backend cannot take stay on the per-sector path, and say why.
echo lib >$param
kmsg_mark
dm_create mdx "0 8 crypt_rs aes-cbc-essiv:sha256 $K32 0 /dev/vda 0" || fail "essiv table"
since_mark | grep -qF "per-sector path (multi_data_unit=lib): IV mode other than plain or plain64" ||
    fail "essiv table: no reason in dmesg"
dmsetup remove mdx
kmsg_mark
dm_create mdx "0 8 crypt_rs serpent-xts-plain64 $K64 0 /dev/vda 0" || fail "serpent table"
since_mark | grep -qF "per-sector path (multi_data_unit=lib): the AES-XTS library takes xts(aes) only" ||
    fail "serpent table: no reason in dmesg"
dmsetup remove mdx

# With the default, the log says which path a device takes: the library on arm64 and
# powerpc, elsewhere the per-sector path and why.
echo auto >$param
kmsg_mark
dm_create mdx "0 8 crypt_rs aes-xts-plain64 $K32 0 /dev/vda 0" || fail "auto table"
case $(uname -m) in
aarch64 | ppc64*) want="multi-data-unit path, AES-XTS library backend (multi_data_unit=auto" ;;
*) want="per-sector path (multi_data_unit=auto): the AES-XTS library is slower than the crypto API here" ;;
esac
got=$(since_mark | grep -F "dm_crypt_rs: $(dmsetup info -c --noheadings -o major,minor mdx):")
dmsetup remove mdx
[ "$(echo "$got" | wc -l)" -eq 1 ] && echo "$got" | grep -qF "$want" ||
    fail "auto on $(uname -m): the log says '$got', not once '$want'"

log "$n tables, $bad failures"
[ $bad -eq 0 ] || fail "$bad of $n tables failed"
exit 0
