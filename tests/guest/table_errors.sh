#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Malformed crypt tables fail with dm-crypt-rs exactly as with the C target: the same
# ti->error text and errno in the kernel log, and no device left behind.
. ./lib.sh

dev=/dev/vda
[ -b $dev ] || skip "no scratch disk $dev"
use_c_target
use_rs_target crypt_rs

K32=$(printf '0123456789abcdef%.0s' 1 2)        # 16-byte key
K64=$(printf '0123456789abcdef%.0s' 1 2 3 4)    # 32-byte key
K128=$K64$K64                                     # 64-byte key
LMK=$(printf '0123456789abcdef0123456789abcdef%.0s' $(seq 64))   # 64 x 16 bytes
keyhex() { printf '%s' "$1" | sed 's/../\\x&/g'; }
printf "$(keyhex $K64)" | keyctl padd logon dmcrs:err @u >/dev/null 2>&1 && keyctl link @u @s 2>/dev/null

# One table per line: "<len> <args after the target name>".
cat >/tmp/tables <<EOT
8 aes-xts-plain64
8 aes-xts-plain64 $K64
8 aes-xts-plain64 $K64 0
8 aes-xts-plain64 $K64 0 $dev
8 aes-xts-plain64 :32 0 $dev 0
8 aes-xts-plain64 :x:logon:a 0 $dev 0
8 aes-xts-plain64 :32;logon:a 0 $dev 0
8 aes-xts-plain64 :4294967295:logon:a 0 $dev 0
8 aes-xts-plain64 $K64 0 $dev 0 10 a b c d e f g h i j
8 aes-xts-plain64 $K64 0 $dev 0 2 allow_discards
8 aes-xts-plain64 $K64 0 $dev 0 x
8 aes-xts-plain64 $K64 0 $dev 0 -1
8 aes-xts-plain64 $K64 0 $dev 0 1 bogus
8 aes-xts-plain64 $K64 0 $dev 0 1 sector_size:1024x
8 aes-xts-plain64 $K64 0 $dev 0 1 sector_size:256
8 aes-xts-plain64 $K64 0 $dev 0 1 sector_size:8192
8 aes-xts-plain64 $K64 0 $dev 0 1 sector_size:1536
7 aes-xts-plain64 $K64 0 $dev 0 1 sector_size:4096
12 aes-xts-plain64 $K64 0 $dev 0 1 sector_size:4096
8 aes-xts-plain64 $K64 0 $dev 0 1 integrity:0:aead
8 aes-xts-plain64 $K64 0 $dev 0 1 integrity:481:aead
8 aes-xts-plain64 $K64 0 $dev 0 1 integrity:32:hmac
8 aes-xts-plain64 $K64 0 $dev 0 1 integrity_key_size:0
8 aes-xts-plain64 $K64 0 $dev 0 2 same_cpu_crypt bogus
8 aes-xts-plain64 $K64 0 $dev 0 1 integrity:32:aead
8 aes:3-xts-plain64 $K64 0 $dev 0
8 aes:0-xts-plain64 $K64 0 $dev 0
8 aes:-xts-plain64 $K64 0 $dev 0
8 aes:x-cbc-plain $K32 0 $dev 0
8 aes-cbc $K32 0 $dev 0
8 aes-xts $K64 0 $dev 0
8 xts(aes)-plain64 $K64 0 $dev 0
8 aes-cbc-essiv $K32 0 $dev 0
8 capi:cbc(aes)-essiv $K32 0 $dev 0
8 $(printf 'a%.0s' $(seq 130))-cbc-plain $K32 0 $dev 0
8 capi:cbc($(printf 'a%.0s' $(seq 120)))-essiv:sha256 $K32 0 $dev 0
8 nosuchcipher-xts-plain64 $K64 0 $dev 0
8 aes-nosuchmode-plain64 $K64 0 $dev 0
8 capi:xts(nosuch)-plain64 $K64 0 $dev 0
8 capi:xts(aes-generic) $K64 0 $dev 0
8 aes-cbc-essiv:nosuchhash $K32 0 $dev 0
8 aes-xts-bogusiv $K64 0 $dev 0
8 aes-xts- $K64 0 $dev 0
8 capi:xts(aes)-bogus $K64 0 $dev 0
8 aes-xts-plain64 0123 0 $dev 0
8 aes-xts-plain64 ${K64%??}zz 0 $dev 0
8 aes-xts-plain64 $K32 0 $dev 0
8 aes-xts-plain64 - 0 $dev 0
8 aes-xts-plain64 x 0 $dev 0
8 aes-cbc-plain $K64$K32 0 $dev 0
8 aes:4-xts-plain64 $K64 0 $dev 0
8 cipher_null-ecb 00 0 $dev 0
8 aes-xts-plain64 $K64 x $dev 0
8 aes-xts-plain64 $K64 -1 $dev 0
8 aes-xts-plain64 $K64 4 $dev 0 1 sector_size:4096
8 aes-xts-plain64 $K64 0 /dev/nosuchdevice 0
8 aes-xts-plain64 $K64 0 999:999 0
8 aes-xts-plain64 $K64 0 $dev x
8 aes-xts-plain64 $K64 0 $dev -5
8 aes-xts-plain64 $K64 0 $dev 1.5
8 aes-cbc-benbi $K32 0 $dev x
8 aes-ecb-plain64 $K32 0 $dev x
8 aes-xts-plain64 $K64 18446744073709551616x $dev 0
8 aes:64-cbc-lmk $LMK 0 $dev 0 1 sector_size:4096
8 aes:64-cbc-lmk ${LMK}0123456789abcdef 0 $dev 0
8 capi:cbc(aes)-lmk ${LMK%??} 0 $dev 0
8 aes-cbc-tcw $K64$K32 0 $dev 0 1 sector_size:4096
8 aes-cbc-tcw $K32 0 $dev 0
8 aes-cbc-tcw $K64 0 $dev 0
8 aes-ctr-eboiv $K32 0 $dev 0
8 aes-cbc-elephant $K128$K32 0 $dev 0
8 aes-cbc-elephant $(printf '%.40s' $K64) 0 $dev 0
8 aes-ctr-elephant $K64 0 $dev 0
8 aes-cbc-random $K32 0 $dev 0
8 aes-cbc-random $K32 0 $dev 0 1 integrity:16:none
8 aes-xts-random $K64 0 $dev 0 1 integrity:32:NONE
8 aes-cbc-essiv: $K32 0 $dev 0
8 capi:-plain64 $K64 0 $dev 0
8 capi: $K64 0 $dev 0
8 aes-xts-plain64 :32:bogus:dmcrs:err 0 $dev 0
8 aes-xts-plain64 :32:logon: 0 $dev 0
8 aes-xts-plain64 :32:logon:dmcrs:nosuch 0 $dev 0
8 aes-xts-plain64 :31:logon:dmcrs:err 0 $dev 0
8 aes-xts-plain64 :64:logon:dmcrs:err 0 $dev 0
8 aes-xts-plain64 :32:logon:dmcrs\\ err 0 $dev 0
8 aes-xts-plain64 :32::dmcrs:err 0 $dev 0
8 aes-xts-plain64 :32:encrypted:dmcrs:nosuch 0 $dev 0
8 aes-xts-plain64 :32:trusted:dmcrs:err 0 $dev 0
8 aes-xts-plain64 :032:logon 0 $dev 0
8 aes-xts-plain64 $K64 0 $dev 0 1 integrity_key_size:x
8 aes-xts-plain64 $K64 0 $dev 0 1 integrity:x:aead
8 aes-xts-plain64 $K64 0 $dev 0 1 integrity::none
8 aes-xts-plain64 $K64 0 $dev 0 1 sector_size:
8 aes-xts-plain64 $K64 0 $dev 0 1 sector_size:-512
8 aes-xts-plain64 $K64 0 $dev 0 1 no_read_workqueue:1
8 aes-xts-plain64 $K64 0 $dev 0 1 allow_discard
8 aes-xts-plain64 $K64 0 $dev 0 3 same_cpu_crypt
8 aes-xts-plain64 $K64 0 $dev 0 1
8 aes-xts-plain64 $K64 0 $dev 0 1x allow_discards
8 aes-xts-plain64 $K64 0 $dev 0 01 bogus
8 capi:gcm(aes)-lmk $K64 0 $dev 0 1 integrity:16:aead
8 aes-gcm-random $K64 0 $dev 0 1 integrity:28:aead
8 aes:2-xts-plain64 ${K64}0 0 $dev 0
8 aes:128-xts-plain64 $K64 0 $dev 0
8 aes:1024-xts-plain64 $K64 0 $dev 0
8 aes-xts-plain64 $K64 +5 $dev 0
8 aes-xts-plain64 $K64 0 $dev +5
8 aes-xts-plain64 $K64 0x10 $dev 0
8 aes-cbc-benbi:x $K32 0 $dev 0 1 sector_size:2048x
8 cipher_null-ecb-null - 0 $dev 0 1 bogus
8 cipher_null-ecb $K32 0 $dev 0
8 capi:gcm(aes)-random $K32 0 $dev 0 1 integrity:28:aead
8 capi:gcm(aes)-plain64 $K32 0 $dev 0 1 integrity:16:aead
8 capi:authenc(hmac(nosuch),xts(aes))-random $K128 0 $dev 0 1 integrity:48:aead
8 capi:authenc(hmac(sha256)-random $K128 0 $dev 0 1 integrity:48:aead
8 capi:authenc(,xts(aes))-random $K128 0 $dev 0 1 integrity:48:aead
8 capi:gcm(nosuch)-random $K32 0 $dev 0 1 integrity:28:aead
8 capi:xts(aes)-random $K64 0 $dev 0 1 integrity:28:aead
8 capi:gcm(aes)-eboiv $K32 0 $dev 0 1 integrity:16:aead
8 capi:authenc(hmac(sha256),xts(aes))-random $K32 0 $dev 0 1 integrity:48:aead
EOT

n=0 bad=0
while IFS= read -r line; do
    n=$((n + 1))
    len=${line%% *}
    args=${line#* }
    out=
    for t in crypt crypt_rs; do
        dmesg -c >/dev/null
        if dmsetup create tbl --table "0 $len $t $args" >/dev/null 2>&1; then
            dmsetup remove tbl
            msg="accepted"
        else
            msg=$(dmesg | sed -n "s/.*device-mapper: table: [0-9:]*: $t: //p" | head -n1)
            [ -n "$msg" ] || msg="(no table error logged)"
        fi
        dmsetup info tbl >/dev/null 2>&1 && { dmsetup remove tbl; msg="$msg [left behind]"; }
        out="$out|$msg"
    done
    c=${out#|}; c=${c%%|*}; rs=${out##*|}
    if [ "$c" = "accepted" ]; then
        log "table $n: C accepts it; not a malformed table: $args"
        bad=$((bad + 1))
    elif [ "$c" != "$rs" ]; then
        log "table $n differs: $args"
        log "   C:  $c"
        log "   rs: $rs"
        bad=$((bad + 1))
    else
        log "table $n ok: $c"
    fi
done </tmp/tables
log "$n tables, $bad mismatches"
[ $n -ge 100 ] || fail "only $n tables"
[ $bad -eq 0 ] || fail "$bad of $n tables differ"
exit 0
