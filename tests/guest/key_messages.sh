#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The key messages and suspend/resume (what luksSuspend/luksResume do): the same script runs
# against the C target and dm-crypt-rs, on devices of their own, and must give the same
# transcript (exit statuses, status lines, kernel log texts) and the same ciphertext. Along
# the way it checks the outcomes themselves: no key change while live, a wiped key blocks the
# resume, a key of the wrong size is refused, keyring keys (logon, user, encrypted) work.
. ./lib.sh

command -v keyctl >/dev/null || skip "no keyctl in the guest"
use_c_target
use_rs_target crypt_rs

K64=$(printf '0123456789abcdef%.0s' 1 2 3 4)
K64B=$(printf 'fedcba9876543210%.0s' 1 2 3 4)
keyhex() { printf '%s' "$1" | sed 's/../\\x&/g'; }
# Keys in the user keyring: logon and user keys with K64's bytes, an encrypted key under a
# user master key (its payload, random, is the same for both targets).
printf "$(keyhex $K64)" | keyctl padd logon dmcrs:k64 @u >/dev/null || fail "keyctl logon"
printf "$(keyhex $K64)" | keyctl padd user dmcrs-user @u >/dev/null || fail "keyctl user"
printf "$(keyhex $K64B)" | keyctl padd user dmcrs-kmk @u >/dev/null || fail "keyctl kmk"
keyctl add encrypted dmcrs-enc "new default user:dmcrs-kmk 32" @u >/dev/null || fail "keyctl encrypted"
keyctl link @u @s 2>/dev/null

dd if=/dev/urandom of=/tmp/pattern bs=1M count=2 2>/dev/null

# step LABEL CMD...: runs CMD, records its exit status and the kernel's words about it.
step() {
    label=$1; shift
    dmesg -c >/dev/null
    "$@" >/dev/null 2>&1
    rc=$?
    # Only the text after the subsystem prefix: the two modules name themselves differently.
    # dm-crypt-rs's line on the crypto path a new device takes has no counterpart in the C
    # target (multi_du.sh checks it).
    msgs=$(dmesg | sed -n -e 's/.*device-mapper: crypt: //p' -e 's/.*dm_crypt_rs: //p' \
        -e 's/.*device-mapper: table: [0-9:]*: crypt[_rs]*: //p' | grep -v -e 'registered' -e ' path (multi_data_unit=' -e ': multi-data-unit path, ' | tr '\n' '|')
    echo "$label: rc=$rc $msgs"
}

table() { dmsetup table --showkeys "$1" | cut -d' ' -f4- | sed 's/ 254:[0-9]* / DEV /'; }

scenario() { # TARGET DEVICE
    t=$1 d=$2 n=km-$1
    dd if=/dev/zero of=$d bs=1M count=8 2>/dev/null
    step create dmsetup create $n --table "0 16384 $t aes-xts-plain64 $K64 0 $d 0"
    dd if=/tmp/pattern of=/dev/mapper/$n bs=1M oflag=direct 2>/dev/null
    step wipe-live dmsetup message $n 0 key wipe
    step set-live dmsetup message $n 0 key set $K64
    step bogus dmsetup message $n 0 bogus
    step short dmsetup message $n 0 key
    step suspend dmsetup suspend $n
    step wipe dmsetup message $n 0 KEY WIPE
    echo "table after wipe: $(table $n)"
    step resume-wiped dmsetup resume $n
    step set-short dmsetup message $n 0 key set 0123
    step set-badhex dmsetup message $n 0 key set ${K64%??}zz
    step set-extra dmsetup message $n 0 key set $K64 extra
    step set-nokey dmsetup message $n 0 key set :32:logon:dmcrs:nosuch
    step set-badtype dmsetup message $n 0 key set :32:bogus:dmcrs:k64
    step set-logon dmsetup message $n 0 key set :32:logon:dmcrs:k64
    echo "table after logon: $(table $n)"
    step set-user dmsetup message $n 0 key set :32:user:dmcrs-user
    echo "table after user: $(table $n)"
    step resume dmsetup resume $n
    echo "data: $(dd if=/dev/mapper/$n bs=1M count=2 iflag=direct 2>/dev/null | md5sum | cut -c1-32)"
    step suspend2 dmsetup suspend $n
    step set-hex dmsetup message $n 0 key set $K64
    echo "table after hex: $(table $n)"
    step resume2 dmsetup resume $n
    step remove dmsetup remove $n
    # An encrypted key from the start; the same data must give the same ciphertext.
    step create-enc dmsetup create $n --table "0 16384 $t aes-xts-plain64 :32:encrypted:dmcrs-enc 0 $d 0"
    echo "table encrypted: $(table $n)"
    dd if=/tmp/pattern of=/dev/mapper/$n bs=1M oflag=direct 2>/dev/null
    step remove-enc dmsetup remove $n
}

scenario crypt /dev/vdb >/tmp/km-c.txt
scenario crypt_rs /dev/vda >/tmp/km-rs.txt
sed 's/^/# C:  /' /tmp/km-c.txt
if ! diff /tmp/km-c.txt /tmp/km-rs.txt >/tmp/km.diff; then
    sed 's/^/# /' /tmp/km.diff
    fail "dm-crypt-rs differs from the C target"
fi
expect_eq "ciphertext" "$(dd if=/dev/vdb bs=1M count=8 2>/dev/null | md5sum)" \
    "$(dd if=/dev/vda bs=1M count=8 2>/dev/null | md5sum)"

# The outcomes themselves (the C target could have changed; these are what users rely on).
grep -q '^wipe-live: rc=1 not suspended during key manipulation.|$' /tmp/km-rs.txt || fail "key wipe on a live device"
grep -q '^bogus: rc=1 unrecognised message received.|$' /tmp/km-rs.txt || fail "unknown message"
grep -q '^resume-wiped: rc=1 .*aborting resume - crypt key is not set.' /tmp/km-rs.txt || fail "resume with a wiped key"
grep -q "^table after wipe: aes-xts-plain64 $(printf '0%.0s' $(seq 64)) 0 DEV 0$" /tmp/km-rs.txt || fail "key after wipe"
grep -q '^set-short: rc=1 $' /tmp/km-rs.txt || fail "a shorter key"
grep -q '^table after logon: aes-xts-plain64 :32:logon:dmcrs:k64 0 DEV 0$' /tmp/km-rs.txt || fail "logon key"
grep -q "^data: $(md5sum </tmp/pattern | cut -c1-32)$" /tmp/km-rs.txt || fail "data after key set and resume"
grep -q '^table encrypted: aes-xts-plain64 :32:encrypted:dmcrs-enc 0 DEV 0$' /tmp/km-rs.txt || fail "encrypted key"
exit 0
