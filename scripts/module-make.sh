#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs the kernel's build system on this module: make -C KDIR M=<checkout> ARGS...
# KDIR defaults to the project's test kernel (built first if needed); the toolchain paths
# (bindgen, libclang) come from scripts/provision.sh.

source "$(dirname "$0")/common.sh"
load_toolchain
if [ -z "${KDIR:-}" ]; then
    KDIR=$("$TOP/scripts/build-kernel.sh" base)
fi
[ -f "$KDIR/rust/libkernel.rmeta" ] ||
    die "$KDIR is not a Rust-enabled, built kernel tree (no rust/libkernel.rmeta); build it with CONFIG_RUST=y and the same rustc"
# The compiler choice of the kernel build (LLVM=-19 for the debug flavour) applies here too.
extra=()
[ ! -f "$KDIR/make-args" ] || mapfile -t extra < <(grep -v '^$' "$KDIR/make-args")
exec make -C "$KDIR" M="$TOP" BINDGEN="$BINDGEN" RUSTC=rustc "${extra[@]}" "$@"
