#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# cryptsetup on dm-crypt-rs: plain, LUKS1 and LUKS2 volumes are formatted, opened, given an
# ext4 file system and files, closed, reopened and checked; then the C target opens the same
# volumes and finds the same files (the on-disk format is the C target's).
. ./lib.sh

command -v cryptsetup >/dev/null || skip "no cryptsetup in the guest"
dev=/dev/vda
printf 'correct horse battery staple' >/tmp/pass
fast="--pbkdf pbkdf2 --pbkdf-force-iterations 1000"
dd if=/dev/urandom of=/tmp/payload bs=64k count=32 2>/dev/null
dd if=/dev/urandom of=/tmp/plainkey bs=64 count=1 2>/dev/null

fill() { # NAME: make a file system with files, remember their checksums
    mkfs.ext4 -q /dev/mapper/$1 || fail "$1: mkfs.ext4"
    mkdir -p /mnt/$1
    mount /dev/mapper/$1 /mnt/$1 || fail "$1: mount"
    cp /tmp/payload /mnt/$1/payload
    seq 1 20000 >/mnt/$1/numbers
    (cd /mnt/$1 && md5sum payload numbers) >/tmp/$1.md5
    umount /mnt/$1
}

check() { # NAME WHO
    e2fsck -fn /dev/mapper/$1 >/tmp/fsck.log 2>&1 || { cat /tmp/fsck.log; fail "$1: fsck after reopen ($2)"; }
    mount /dev/mapper/$1 /mnt/$1 || fail "$1: mount ($2)"
    (cd /mnt/$1 && md5sum -c /tmp/$1.md5 >/dev/null) || fail "$1: files differ ($2)"
    umount /mnt/$1
}

open_plain() { cryptsetup open --type plain --cipher aes-xts-plain64 --key-size 512 \
    --key-file /tmp/plainkey $dev "$1"; }
open_luks() { cryptsetup open --key-file /tmp/pass $dev "$1"; }

served_by_rs() { # NAME
    module_loaded dm_crypt && fail "the C module is loaded"
    dmsetup table "$1" | grep -q ' crypt ' || fail "$1 is not a crypt mapping"
}

for kind in plain luks1 luks2; do
    use_rs_target
    dd if=/dev/zero of=$dev bs=1M count=8 2>/dev/null
    case $kind in
        plain) open_plain v || fail "plain open" ;;
        luks*) cryptsetup luksFormat -q --type $kind $fast --key-file /tmp/pass $dev || fail "$kind format"
               open_luks v || fail "$kind open" ;;
    esac
    served_by_rs v
    fill v
    cryptsetup close v || fail "$kind close"
    case $kind in plain) open_plain v ;; *) open_luks v ;; esac || fail "$kind reopen"
    check v dm-crypt-rs
    cryptsetup status v | grep -q "type:" || fail "$kind status"
    cryptsetup close v
    dmcrs-unload rs || fail "rmmod after $kind"

    # The C target reads the volume dm-crypt-rs wrote.
    dmcrs-load c
    case $kind in plain) open_plain v ;; *) open_luks v ;; esac || fail "$kind open with the C target"
    check v C
    cryptsetup close v
    dmcrs-unload c
    log "$kind ok"
done
exit 0
