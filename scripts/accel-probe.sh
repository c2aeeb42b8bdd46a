#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Prints the accelerator for the test guest: "kvm" only where a probe boot of the test kernel
# under KVM powers off within a short timeout, else "tcg". The answer is cached per kernel
# build and host boot; DMCRS_ACCEL=kvm|tcg overrides it.
#
#   scripts/accel-probe.sh KOUT

source "$(dirname "$0")/common.sh"

KOUT=${1:?usage: accel-probe.sh KOUT}
case ${DMCRS_ACCEL:-} in
    kvm|tcg) echo "$DMCRS_ACCEL"; exit 0 ;;
    '') ;;
    *) die "DMCRS_ACCEL must be kvm or tcg" ;;
esac

boot_id=$(cat /proc/sys/kernel/random/boot_id 2>/dev/null || echo unknown)
cache=$DMCRYPT_CACHE/accel-$(echo "$KOUT $boot_id" | sha256sum | cut -c1-16)
if [ -f "$cache" ]; then
    cat "$cache"
    exit 0
fi

accel=tcg
if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
    # A guest whose /init powers off at once: without a working KVM it hangs or fails.
    tmp=$(mktemp -d)
    printf '#!/bin/sh\nmount -t proc proc /proc\necho DMCRS-KVM-OK\npoweroff -f\n' >"$tmp/init"
    chmod +x "$tmp/init"
    mkdir -p "$tmp/bin"
    cp /usr/bin/busybox "$tmp/bin/"
    for a in sh mount echo poweroff; do ln -s busybox "$tmp/bin/$a"; done
    (cd "$tmp" && printf '%s\n' init bin bin/* | cpio -o -H newc --quiet) >"$tmp/initrd"
    # The braces keep bash's own "Aborted" notice (QEMU aborts under the nested hypervisor)
    # off the output, which a redirection on the subshell alone does not.
    if { (timeout -k 2 20 qemu-system-x86_64 -machine q35 -accel kvm -cpu host -m 256 -smp 1 \
        -nographic -no-reboot -monitor none -serial "file:$tmp/log" \
        -kernel "$KOUT/arch/x86/boot/bzImage" -initrd "$tmp/initrd" \
        -append "console=ttyS0 panic=-1" </dev/null >/dev/null 2>&1); } 2>/dev/null &&
        grep -q DMCRS-KVM-OK "$tmp/log"; then
        accel=kvm
    fi
    rm -rf "$tmp"
fi
step "accelerator: $accel (KVM $( [ $accel = kvm ] && echo works || echo 'missing or unusable' ); probe cached in $cache)"
echo "$accel" >"$cache"
echo "$accel"
