#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Authenticated encryption and IVs kept per sector, over dm-integrity with external tags (as
# cryptsetup --integrity stacks it):
# - tables with deterministic IVs give ciphertext and tags byte-identical to the C target's;
# - with random IVs (what cryptsetup uses) each target reads what the other wrote;
# - a flipped bit on the device fails the read with an I/O error on both targets, logs the
#   same integrity error after the recheck, and leaves the other sectors readable;
# - a tag size the profile cannot hold is refused as upstream refuses it.
. ./lib.sh

use_c_target
use_rs_target crypt_rs
for m in dm-bufio async_tx xor async_xor dm-integrity; do
    module_loaded "$(echo $m | tr - _)" || insmod /lib/modules/kernel/$m.ko || fail "cannot load $m"
done
mib=${DMCRS_INTEGRITY_MIB:-8}
sectors=$((mib * 2048))
K32=$(printf '0123456789abcdef%.0s' 1 2)
K64=$(printf 'fedcba9876543210%.0s' 1 2 3 4)
K96=$K64$K64$K64

# integ NAME DEVICE TAG_SIZE [BLOCK_SIZE]: dm-integrity, direct mode, external tags, formatted
# afresh.
integ() {
    dd if=/dev/zero of=$2 bs=1M count=1 2>/dev/null
    dmsetup create $1 --table "0 $sectors integrity $2 0 $3 D 1 block_size:${4:-512}" ||
        fail "dm-integrity with $3-byte tags on $2"
    on_exit "dmsetup remove --retry $1 2>/dev/null"
}

# The region the comparisons look at starts equal on both disks (earlier tests wrote there).
dd if=/dev/zero of=/dev/vda bs=1M count=48 2>/dev/null
dd if=/dev/zero of=/dev/vdb bs=1M count=48 2>/dev/null

# "<cipher> <key> <tag bytes> <features without integrity:> [sector size]"
cat >/tmp/aead-tables <<EOT
capi:gcm(aes)-plain64 $K32 16 aead
capi:gcm(aes)-plain64 $K64 16 aead 4096
capi:rfc7539(chacha20,poly1305)-plain64 $K64 16 aead
capi:rfc4309(ccm(aes))-plain64 $(printf '%.38s' $K64) 16 aead
capi:authenc(hmac(sha256),xts(aes))-plain64 $K96 32 aead
capi:authenc(hmac(sha256),cbc(aes))-essiv:sha256 $K64$K32 32 aead
EOT

# Deterministic IVs: the same writes give the same device contents, data and tags.
n=0 bad=0
while read -r cipher key tag kind ss; do
    n=$((n + 1))
    ss=${ss:-512}
    feat="1 integrity:$tag:$kind"
    [ "$ss" = 512 ] || feat="2 integrity:$tag:$kind sector_size:$ss"
    integ ic /dev/vdb $tag $ss
    integ ir /dev/vda $tag $ss
    len=$(($(blockdev --getsz /dev/mapper/ic) / 16 * 8))
    dmsetup create ec --table "0 $len crypt $cipher $key 0 /dev/mapper/ic 0 $feat" ||
        { log "table $n: C target refuses $cipher"; bad=$((bad + 1)); dmsetup remove ic ir; continue; }
    if ! dmsetup create er --table "0 $len crypt_rs $cipher $key 0 /dev/mapper/ir 0 $feat"; then
        log "table $n: dm-crypt-rs refuses $cipher"; bad=$((bad + 1))
        dmsetup remove ec; dmsetup remove ic ir; continue
    fi
    expect_eq "status table $n" "$(dmsetup table --showkeys ec | cut -d' ' -f4- | sed 's/ [0-9]*:[0-9]* 0 / DEV 0 /')" \
        "$(dmsetup table --showkeys er | cut -d' ' -f4- | sed 's/ [0-9]*:[0-9]* 0 / DEV 0 /')"
    for d in ec er; do
        dd if=/dev/zero of=/dev/mapper/$d bs=1M oflag=direct 2>/dev/null
        fio --name=w --filename=/dev/mapper/$d --rw=randwrite --bsrange=$ss-256k --blockalign=$ss \
            --randrepeat=1 --randseed=77 --refill_buffers --direct=1 --ioengine=psync \
            --size=$((len / 2048))m --output=/dev/null || fail "fio on $d"
    done
    a=$(dd if=/dev/mapper/ec bs=1M iflag=direct 2>/dev/null | md5sum)
    b=$(dd if=/dev/mapper/er bs=1M iflag=direct 2>/dev/null | md5sum)
    dmsetup remove ec; dmsetup remove er; dmsetup remove ic; dmsetup remove ir
    [ "$a" = "$b" ] || { log "table $n: plaintext differs: $cipher"; bad=$((bad + 1)); continue; }
    if [ "$(dd if=/dev/vda bs=1M count=48 2>/dev/null | md5sum)" != \
         "$(dd if=/dev/vdb bs=1M count=48 2>/dev/null | md5sum)" ]; then
        log "table $n: device contents (data and tags) differ: $cipher"; bad=$((bad + 1)); continue
    fi
    log "table $n ok: $cipher $feat"
done </tmp/aead-tables

# Random IVs: cross-reads, then tampering.
random_case() { # CIPHER KEY TAG FEATURES
    n=$((n + 1))
    integ ir /dev/vda $3
    len=$(($(blockdev --getsz /dev/mapper/ir) / 16 * 8))
    table="$1 $2 0 /dev/mapper/ir 0 $4"
    dmsetup create er --table "0 $len crypt_rs $table" || fail "dm-crypt-rs refuses $1 $4"
    dd if=/dev/urandom of=/tmp/rnd bs=1M count=$((len / 2048)) 2>/dev/null
    dd if=/tmp/rnd of=/dev/mapper/er bs=64k oflag=direct 2>/dev/null || fail "write through dm-crypt-rs ($1)"
    dmsetup remove er
    dmsetup create ec --table "0 $len crypt $table" || fail "C target refuses $1 $4"
    cmp -s /tmp/rnd /dev/mapper/ec || { log "the C target reads other data ($1)"; bad=$((bad + 1)); }
    dd if=/dev/urandom of=/tmp/rnd bs=1M count=$((len / 2048)) 2>/dev/null
    dd if=/tmp/rnd of=/dev/mapper/ec bs=64k oflag=direct 2>/dev/null || fail "write through C ($1)"
    dmsetup remove ec
    dmsetup create er --table "0 $len crypt_rs $table"
    cmp -s /tmp/rnd /dev/mapper/er || { log "dm-crypt-rs reads other data ($1)"; bad=$((bad + 1)); }
    dmsetup remove er
    # Flip a bit of the data of some sector on the device, behind dm-integrity's back: find
    # the ciphertext of the sector at 1 MiB in the device (interleaved with metadata) by
    # comparing the device before and after a write to it through the stack.
    # dm-integrity holds /dev/vda open, so its page cache would go stale: direct I/O only, and
    # dm-integrity's metadata buffers flushed by a suspend first. The journal it reserves
    # even in direct mode comes first on the device: look far enough.
    dmsetup suspend ir; dmsetup resume ir
    dd if=/dev/vda of=/tmp/before bs=1M count=48 iflag=direct 2>/dev/null
    dmsetup create er --table "0 $len crypt_rs $table"
    # One sector only (busybox dd would read and write the whole page).
    fio --name=one --filename=/dev/mapper/er --rw=write --bs=512 --offset=1m --size=512 \
        --direct=1 --ioengine=psync --refill_buffers --output=/dev/null || fail "fio one sector"
    dmsetup remove er; dmsetup suspend ir; dmsetup resume ir
    dd if=/dev/vda of=/tmp/after bs=1M count=48 iflag=direct 2>/dev/null
    # The sector's 512 bytes of ciphertext are most of what changed (beside its tuple): the
    # 300th changed byte is one of them.
    off=$(cmp -l /tmp/before /tmp/after | awk 'NR == 300 {print $1 - 1}')
    [ -n "$off" ] || fail "the write at 1 MiB changed too little on the device ($1)"
    blk=$((off / 512)) at=$((off % 512))
    dd if=/dev/vda of=/tmp/blk bs=512 skip=$blk count=1 iflag=direct 2>/dev/null
    byte=$(dd if=/tmp/blk bs=1 skip=$at count=1 2>/dev/null | od -An -tu1 | tr -d ' ')
    printf "$(printf '\\%03o' $((byte ^ 1)))" | dd of=/tmp/blk bs=1 seek=$at conv=notrunc 2>/dev/null
    dd if=/tmp/blk of=/dev/vda bs=512 seek=$blk count=1 oflag=direct conv=notrunc 2>/dev/null
    now=$(dd if=/dev/vda bs=512 skip=$blk count=1 iflag=direct 2>/dev/null | od -An -tu1 -j $at -N 1 | tr -d ' ')
    log "$(cmp -l /tmp/before /tmp/after | wc -l) bytes changed; byte $off: $byte -> $now"
    # The read fails, the next sectors read, and the error is logged (and audited, with
    # audit=1) once, after the recheck: the same on both targets.
    echo 1000 >/proc/sys/kernel/printk_ratelimit_burst
    for t in crypt_rs crypt; do
        dmsetup create et --table "0 $len $t $table"
        sleep 2
        dmesg -c >/dev/null
        dd if=/dev/mapper/et of=/dev/null bs=512 skip=2048 count=1 iflag=direct 2>/dev/null && r=read-ok || r=read-failed
        dd if=/dev/mapper/et of=/dev/null bs=512 skip=2056 count=8 iflag=direct 2>/dev/null && r2=next-ok || r2=next-failed
        sleep 2
        msg=$(dmesg | sed -n -e 's/.*\(INTEGRITY AEAD ERROR.*\)/\1/p' \
            -e 's/.*\(module=crypt op=integrity-aead\) dev=[0-9:]* \(sector=.*\)/\1 \2/p' | sort -u | tr '\n' '|')
        echo "$r $r2 $msg" >/tmp/tamper-$t.txt
        dmsetup remove et
    done
    log "tampered ($1): C: $(cat /tmp/tamper-crypt.txt) rs: $(cat /tmp/tamper-crypt_rs.txt)"
    want="read-failed next-ok INTEGRITY AEAD ERROR, sector 2048|"
    grep -qw 'audit=1' /proc/cmdline && want="$want""module=crypt op=integrity-aead sector=2048 res=0|"
    if ! cmp -s /tmp/tamper-crypt.txt /tmp/tamper-crypt_rs.txt || [ "$(cat /tmp/tamper-crypt_rs.txt)" != "$want" ]; then
        log "tampering not handled as the C target does ($1)"; bad=$((bad + 1))
    fi
    dmsetup remove ir
}
random_case "capi:gcm(aes)-random" $K32 28 "1 integrity:28:aead"
random_case "capi:authenc(hmac(sha256),xts(aes))-random" $K96 48 "1 integrity:48:aead"

# IVs kept in the metadata without authentication (integrity:<n>:none): cross-reads.
n=$((n + 1))
integ ir /dev/vda 16
len=$(($(blockdev --getsz /dev/mapper/ir) / 16 * 8))
table="aes-cbc-random $K32 0 /dev/mapper/ir 0 1 integrity:16:none"
dmsetup create er --table "0 $len crypt_rs $table" || fail "dm-crypt-rs refuses the random IV mode"
dd if=/dev/urandom of=/tmp/rnd bs=1M count=$((len / 2048)) 2>/dev/null
dd if=/tmp/rnd of=/dev/mapper/er bs=64k oflag=direct 2>/dev/null
dmsetup remove er
dmsetup create ec --table "0 $len crypt $table"
cmp -s /tmp/rnd /dev/mapper/ec || { log "random IVs: the C target reads other data"; bad=$((bad + 1)); }
dmsetup remove ec; dmsetup remove ir

# What the profile cannot hold is refused with upstream's words.
integ ir /dev/vda 16
len=$(($(blockdev --getsz /dev/mapper/ir) / 16 * 8))
for t in crypt crypt_rs; do
    dmesg -c >/dev/null
    dmsetup create et --table "0 $len $t capi:gcm(aes)-random $K32 0 /dev/mapper/ir 0 1 integrity:28:aead" 2>/dev/null &&
        { dmsetup remove et; echo accepted; } ||
        dmesg | sed -n "s/.*: $t: //p"
done >/tmp/refusals
log "refusals: $(tr '\n' '|' </tmp/refusals)"
[ "$(sed -n 1p /tmp/refusals)" = "$(sed -n 2p /tmp/refusals)" ] || { log "refusal differs"; bad=$((bad + 1)); }
grep -q "Integrity profile tag size mismatch" /tmp/refusals || { log "no tag size refusal"; bad=$((bad + 1)); }
dmsetup remove ir

log "$n cases, $bad failures"
[ $bad -eq 0 ] || fail "$bad integrity cases failed"
exit 0
