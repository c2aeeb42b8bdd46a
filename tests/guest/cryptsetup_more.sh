#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# cryptsetup end to end on dm-crypt-rs, every command checked against the C target: each
# scenario runs twice, on the same 64 MiB slice of a disk, once with the C module loaded as
# "crypt" and once with dm-crypt-rs as "crypt", and leaves a transcript (exit statuses,
# `cryptsetup status`, the table line without the key, checksums) that must be the same.
#   luksSuspend / luksResume (key wipe, key set), refresh with every --perf-* flag and
#   --allow-discards, LUKS2 with --sector-size 4096, --integrity hmac-sha256, plain mode with
#   --hash, keyring-less activation, loop-AES (loopaesOpen, 64 and 65 keys).
. ./lib.sh

command -v cryptsetup >/dev/null || skip "no cryptsetup in the guest"
for m in dm-bufio async_tx xor async_xor dm-integrity; do
    module_loaded "$(echo $m | tr - _)" || insmod /lib/modules/kernel/$m.ko || fail "cannot load $m"
done
printf 'correct horse battery staple' >/tmp/pass
fast="--pbkdf pbkdf2 --pbkdf-force-iterations 1000"
dd if=/dev/urandom of=/tmp/payload bs=64k count=16 2>/dev/null
# loop-AES key files: 64 keys (version 2) and 65 (version 3), one per line.
for n in 64 65; do
    i=0
    while [ $i -lt $n ]; do
        dd if=/dev/urandom bs=24 count=1 2>/dev/null | od -An -tx1 | tr -d ' \n'; echo
        i=$((i + 1))
    done >/tmp/loopaes$n
done

# The disk slice every scenario works on (the same sectors for both targets).
dmsetup create slice --table "0 131072 linear /dev/vda 0" || fail "no slice"
on_exit "dmsetup remove --retry slice 2>/dev/null"
dev=/dev/mapper/slice

step() { # LABEL CMD...: the exit status, in the transcript
    label=$1; shift
    "$@" >/tmp/step.out 2>&1
    echo "$label: rc=$?"
}
# What the mapping looks like: cryptsetup's view and the table without key material.
show() { # NAME
    cryptsetup status "$1" | sed -n 's/^ *\(type\|cipher\|keysize\|key location\|sector size\|offset\|size\|mode\|flags\|integrity\|integrity keysize\): */\1: /p'
    dmsetup table "$1" | awk '$3 == "crypt" { $5 = "KEY"; $7 = "DEV"; print "table:", $0 }'
}
data() { # NAME: write the payload at 1 MiB, and its checksum as read back
    [ -b /dev/mapper/$1 ] || { echo "data: no device"; return; }
    dd if=/tmp/payload of=/dev/mapper/$1 bs=64k seek=16 oflag=direct 2>/dev/null
    echo "data: $(dd if=/dev/mapper/$1 bs=64k skip=16 count=16 iflag=direct 2>/dev/null | md5sum | cut -c1-32)"
}

scenario() {
    dd if=/dev/zero of=$dev bs=1M count=4 2>/dev/null
    # LUKS2 with suspend/resume and refresh.
    cryptsetup luksFormat -q --type luks2 $fast --key-file /tmp/pass $dev >/dev/null || echo "format failed"
    step open cryptsetup open --key-file /tmp/pass $dev v
    show v; data v
    step suspend cryptsetup luksSuspend v
    echo "table while suspended: $(dmsetup table --showkeys v | awk '{print $5}' | tr -d '0' | wc -c) non-zero key chars"
    step resume-wrong sh -c 'printf wrong | cryptsetup luksResume v --key-file -'
    step resume cryptsetup luksResume v --key-file /tmp/pass
    data v
    step refresh cryptsetup refresh v --key-file /tmp/pass --perf-same_cpu_crypt \
        --perf-submit_from_crypt_cpus --perf-no_read_workqueue --perf-no_write_workqueue --allow-discards
    show v; data v
    step close cryptsetup close v
    # LUKS2, 4096-byte sectors, without the keyring (the key in hex in the table).
    cryptsetup luksFormat -q --type luks2 $fast --sector-size 4096 --key-file /tmp/pass $dev >/dev/null || echo "format 4k failed"
    step open-4k cryptsetup open --disable-keyring --key-file /tmp/pass $dev v
    show v; data v
    step close-4k cryptsetup close v
    # Authenticated: HMAC-SHA256 with xts over dm-integrity. (cryptsetup 2.6.1's user-space
    # check of AEAD-only ciphers such as aes-gcm-random fails on this kernel before any
    # table is loaded, for either target; integrity.sh runs those tables with dmsetup.)
    cryptsetup luksFormat -q --type luks2 $fast --integrity hmac-sha256 --key-file /tmp/pass $dev >/dev/null 2>&1 ||
        echo "format --integrity failed"
    step open-hmac cryptsetup open --key-file /tmp/pass $dev v
    show v; data v
    step close-hmac cryptsetup close v
    # Plain mode with a passphrase hashed by cryptsetup.
    step open-plain sh -c "printf secret | cryptsetup open --type plain --hash sha256 --cipher aes-cbc-essiv:sha256 --key-size 256 --key-file - $dev v"
    show v; data v
    step close-plain cryptsetup close v
    # loop-AES, version 2 and 3.
    for n in 64 65; do
        step "loopaes$n" cryptsetup loopaesOpen --key-file /tmp/loopaes$n --key-size 128 $dev v
        show v; data v
        step "close loopaes$n" cryptsetup loopaesClose v
    done
}

dmcrs-load c || fail "cannot load dm-crypt.ko"
scenario >/tmp/cs-c.txt 2>&1
dmcrs-unload c
dmcrs-load rs || fail "cannot load dm-crypt-rs"
on_exit "dmcrs-unload rs 2>/dev/null"
scenario >/tmp/cs-rs.txt 2>&1
sed 's/^/# C:  /' /tmp/cs-c.txt
if ! diff /tmp/cs-c.txt /tmp/cs-rs.txt >/tmp/cs.diff; then
    sed 's/^/# /' /tmp/cs.diff
    fail "cryptsetup on dm-crypt-rs differs from the C target"
fi
# The outcomes themselves.
for want in "open: rc=0" "suspend: rc=0" "resume-wrong: rc=2" "resume: rc=0" "refresh: rc=0" \
    "open-4k: rc=0" "open-hmac: rc=0" "open-plain: rc=0" "loopaes65: rc=0" \
    "table while suspended: 1 non-zero key chars"; do
    grep -q "^$want" /tmp/cs-rs.txt || fail "missing in the transcript: $want"
done
grep -q "same_cpu_crypt submit_from_crypt_cpus no_read_workqueue no_write_workqueue" /tmp/cs-rs.txt ||
    fail "refresh did not apply the --perf flags"
[ "$(grep -c "^data: $(md5sum </tmp/payload | cut -c1-32)" /tmp/cs-rs.txt)" -ge 8 ] || fail "data did not read back"
exit 0
