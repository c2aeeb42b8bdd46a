#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Builds the guest's base initramfs (uncompressed cpio, cached by its inputs) and prints its path:
# busybox, the dynamically linked user space the tests need with its libraries, the in-tree
# modules of the test kernel (dm-crypt.ko is the C oracle), and scripts/guest-init as /init.
#
#   scripts/build-initramfs.sh KOUT [full|minimal]
#
# The module under test and the test suite are not in it: scripts/vm appends them as a second
# cpio archive at every boot, so a module change never rebuilds this one. The minimal variant
# (busybox, dmsetup and the modules: about 5 MiB instead of 90) is for guests with little
# memory (tests/guest/lowmem).

source "$(dirname "$0")/common.sh"

KOUT=${1:?usage: build-initramfs.sh KOUT [full|minimal]}
VARIANT=${2:-full}
case $VARIANT in
    full)
        BINARIES=(
            /usr/sbin/cryptsetup /usr/sbin/integritysetup /usr/sbin/dmsetup /usr/bin/fio
            /usr/sbin/mke2fs /usr/sbin/e2fsck /usr/sbin/blkdiscard /usr/sbin/losetup
            /usr/bin/keyctl /usr/sbin/blkzone
        ) ;;
    minimal) BINARIES=(/usr/sbin/dmsetup) ;;
    *) die "unknown initramfs variant '$VARIANT' (full or minimal)" ;;
esac
# Their packages, checked on every build (a cache made before a binary joined the list has
# no package for it yet).
PACKAGES=(busybox-static cryptsetup-bin dmsetup fio e2fsprogs util-linux keyutils)
# dlopen()ed at run time, so ldd cannot see them: pthread_cancel needs libgcc_s.
EXTRA_LIBS=(/lib/x86_64-linux-gnu/libgcc_s.so.1)

"$TOP/scripts/provision.sh" --packages "${PACKAGES[@]}" >&2
KEY=$( {
    cat "$0" "$TOP/scripts/guest-init"
    echo "$KOUT"
    for b in /usr/bin/busybox "${BINARIES[@]}"; do sha256sum "$b"; done
} | sha256sum | cut -c1-16)
OUT=$DMCRYPT_CACHE/initramfs/$VARIANT-$KEY.cpio
if [ -f "$OUT" ]; then
    echo "$OUT"
    exit 0
fi

cache_lock "initramfs-$KEY"
if [ ! -f "$OUT" ]; then
    step "building the guest initramfs"
    mkdir -p "$DMCRYPT_CACHE/initramfs"
    root=$(mktemp -d "$DMCRYPT_CACHE/initramfs/root.XXXXXX")
    trap 'rm -rf "$root"' EXIT
    mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,lib64,lib/modules,etc,proc,sys,dev,run,tmp,mnt,root,var/lock}
    cp /usr/bin/busybox "$root/bin/busybox"
    for applet in $("$root/bin/busybox" --list); do
        [ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
    done
    # The real tools replace busybox's applets of the same name.
    for b in "${BINARIES[@]}"; do
        rm -f "$root/bin/$(basename "$b")"
        cp -L "$b" "$root/usr/sbin/"
    done
    if [ "$VARIANT" = full ]; then
        ln -sf mke2fs "$root/usr/sbin/mkfs.ext4"
        ln -sf e2fsck "$root/usr/sbin/fsck.ext4"
        rm -f "$root/bin/mkfs.ext2" "$root/bin/fsck"
    fi
    # Libraries, at the paths ldd resolved them to, plus the dynamic loader.
    { ldd "${BINARIES[@]}" | awk '$3 ~ /^\// {print $3} $1 ~ /^\/lib/ {print $1}'; printf '%s\n' "${EXTRA_LIBS[@]}"; } |
        sort -u | while read -r lib; do
            mkdir -p "$root$(dirname "$lib")"
            cp -L "$lib" "$root$lib"
        done
    # Without udev: libdevmapper creates the /dev/mapper nodes itself (DM_DISABLE_UDEV=1 in
    # /init), and cryptsetup keeps its locks in /run/cryptsetup.
    echo 'root:x:0:0:root:/root:/bin/sh' >"$root/etc/passwd"
    echo 'root:x:0:' >"$root/etc/group"
    : >"$root/etc/fstab"
    # In-tree modules of the test kernel (the C dm-crypt and the other dm targets).
    mkdir -p "$root/lib/modules/kernel"
    find "$KOUT/modroot/lib/modules" -name '*.ko' -exec cp {} "$root/lib/modules/kernel/" \;
    install -m 0755 "$TOP/scripts/guest-init" "$root/init"
    (cd "$root" && find . -print0 | sort -z | cpio --null -o -H newc --quiet) >"$OUT.tmp"
    mv "$OUT.tmp" "$OUT"
fi
echo "$OUT"
