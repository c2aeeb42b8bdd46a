#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The main job (`make run`), run inside the guest by scripts/run-main.sh with dm-crypt-rs
# loaded as the `crypt` target: a LUKS2 volume on a virtio disk, opened through dm-crypt-rs,
# gets a file system and files, which are read back after a close and reopen.

set -e
echo "== kernel $(uname -r), $(nproc) CPUs; crypt targets registered:"
dmsetup targets | grep crypt
[ -d /sys/module/dm_crypt ] && { echo "the C dm-crypt is loaded; expected dm-crypt-rs alone"; exit 1; }

printf 'dm-crypt-rs demo passphrase' >/tmp/pass
echo "== cryptsetup luksFormat --type luks2 /dev/vda (aes-xts-plain64, 512-bit key)"
cryptsetup luksFormat -q --type luks2 --cipher aes-xts-plain64 --key-size 512 \
    --pbkdf pbkdf2 --pbkdf-force-iterations 1000 --key-file /tmp/pass /dev/vda
cryptsetup open --key-file /tmp/pass /dev/vda demo
echo "== dmsetup table (key hidden) and status of the mapping, served by dm-crypt-rs"
dmsetup table demo
dmsetup status demo
cryptsetup status demo | sed 's/^/   /'

echo "== mkfs.ext4, write files"
mkfs.ext4 -q /dev/mapper/demo
mkdir -p /mnt/demo
mount /dev/mapper/demo /mnt/demo
dd if=/dev/urandom of=/mnt/demo/random.bin bs=1M count=8 2>/dev/null
echo "hello from dm-crypt-rs" >/mnt/demo/hello.txt
(cd /mnt/demo && md5sum random.bin hello.txt) | tee /tmp/sums
umount /mnt/demo
cryptsetup close demo

echo "== the ciphertext on /dev/vda holds no plaintext:"
if grep -q "hello from dm-crypt-rs" /dev/vda; then echo "   plaintext found!"; exit 1; fi
echo "   'hello from dm-crypt-rs' not found on the raw disk"

echo "== reopen, fsck, read back"
cryptsetup open --key-file /tmp/pass /dev/vda demo
e2fsck -fn /dev/mapper/demo >/dev/null && echo "   fsck clean"
mount /dev/mapper/demo /mnt/demo
(cd /mnt/demo && md5sum -c /tmp/sums)
cat /mnt/demo/hello.txt
umount /mnt/demo
cryptsetup close demo
echo "== done"
