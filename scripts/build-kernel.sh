#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Builds the test kernel (tinyconfig + scripts/kconfig/<flavour fragments>) out of tree, in a
# cache folder keyed by every input, and prints that folder (the KDIR for the module build).
#
#   scripts/build-kernel.sh [base|debug|dataunit|inline] [--dir]   (--dir: only print the folder)
#
# Every flavour carries the fixes in scripts/kernel-patches/fixes/ (kernel bugs the tests run
# into, with the C target as much as with dm-crypt-rs); dataunit adds
# scripts/kernel-patches/dataunit/ (the proposed crypto API data-unit support, which the
# multi-data-unit path's crypto API backend needs). A patched kernel builds from a patched
# copy of the source. inline is built with the clang of rustc's LLVM, with the kernel's C
# helpers inlined into Rust (a bench flavour: make bench BENCH_KERNEL=inline).
#
# The result holds bzImage, the Rust metadata the module build needs and, under modroot/, the
# in-tree modules the guest loads (dm-crypt.ko, the C oracle, and the other dm targets).

source "$(dirname "$0")/common.sh"
load_toolchain

FLAVOUR=${1:-base}
PATCHES=("$TOP"/scripts/kernel-patches/fixes/*.patch)
# Extra make arguments per flavour; the module build reads them back from $KOUT/make-args.
case $FLAVOUR in
    base)
        FRAGMENTS=("$TOP/scripts/kconfig/base.config")
        MAKE_ARGS=() ;;
    debug)
        # KASAN with Rust needs a clang build (RUST: !KASAN || CC_IS_CLANG in 7.3).
        FRAGMENTS=("$TOP/scripts/kconfig/base.config" "$TOP/scripts/kconfig/debug.config")
        MAKE_ARGS=(LLVM=-19)
        "$TOP/scripts/provision.sh" --packages clang-19 lld-19 llvm-19 >&2 ;;
    dataunit)
        FRAGMENTS=("$TOP/scripts/kconfig/base.config" "$TOP/scripts/kconfig/dataunit.config")
        MAKE_ARGS=()
        PATCHES+=("$TOP"/scripts/kernel-patches/dataunit/*.patch) ;;
    inline)
        FRAGMENTS=("$TOP/scripts/kconfig/base.config" "$TOP/scripts/kconfig/inline.config")
        mapfile -t MAKE_ARGS < <("$TOP/scripts/provision.sh" --llvm) ;;
    *) die "unknown kernel flavour '$FLAVOUR' (base, debug, dataunit or inline)" ;;
esac

JOBS=${JOBS:-$(($(nproc) + 1))}
KEY=$( {
    echo "$KSRC"
    cat "${FRAGMENTS[@]}"
    rustc --version; "$BINDGEN" --version; gcc --version | head -n1
    echo "$LIBCLANG_PATH" "${MAKE_ARGS[@]}"
    [ ${#PATCHES[@]} -eq 0 ] || cat "${PATCHES[@]}"
} | sha256sum | cut -c1-16)
KOUT=$DMCRYPT_CACHE/kbuild/$FLAVOUR-$KEY
if [ "${2:-}" = --dir ]; then
    echo "$KOUT"
    exit 0
fi

# A patched flavour builds from its own copy of the source: hard links, except for the files
# the patches touch (patch replaces those, so the shared tree stays as it was).
patched_source() {
    local dst=$DMCRYPT_CACHE/src/$(basename "$KSRC")-$FLAVOUR-$KEY
    if [ ! -f "$dst/.patched" ]; then
        rm -rf "$dst"
        cp -al "$KSRC" "$dst"
        local p f
        for p in "${PATCHES[@]}"; do
            for f in $(sed -n 's#^+++ b/\([^[:space:]]*\).*#\1#p' "$p"); do
                cp --remove-destination "$KSRC/$f" "$dst/$f"
            done
            patch -d "$dst" -p1 --quiet --no-backup-if-mismatch <"$p" >&2 ||
                die "$p does not apply to $KSRC"
        done
        touch "$dst/.patched"
    fi
    echo "$dst"
}

kmake() {
    make -C "$KSRC" O="$KOUT" ARCH=x86_64 BINDGEN="$BINDGEN" RUSTC=rustc "${MAKE_ARGS[@]}" -j"$JOBS" "$@"
}

if [ -f "$KOUT/.built" ]; then
    echo "$KOUT"
    exit 0
fi

cache_lock "kbuild-$FLAVOUR-$KEY"
if [ ! -f "$KOUT/.built" ]; then
    [ ${#PATCHES[@]} -eq 0 ] || KSRC=$(patched_source)
    mkdir -p "$KOUT"
    : >"$KOUT/make-args"
    [ ${#MAKE_ARGS[@]} -eq 0 ] || printf '%s\n' "${MAKE_ARGS[@]}" >"$KOUT/make-args"
    LOG=$DMCRYPT_CACHE/logs/kernel-$FLAVOUR-$KEY
    step "configuring the $FLAVOUR test kernel ($KOUT)"
    run_logged "$LOG-rustavailable.log" kmake rustavailable
    run_logged "$LOG-config.log" kmake tinyconfig
    run_logged "$LOG-merge.log" "$KSRC/scripts/kconfig/merge_config.sh" -m -O "$KOUT" "$KOUT/.config" "${FRAGMENTS[@]}"
    run_logged "$LOG-olddefconfig.log" kmake olddefconfig
    # Every requested symbol must have survived Kconfig's dependency resolution.
    bad=0
    while IFS= read -r line; do
        case $line in ''|'#'*) continue ;; esac
        sym=${line%%=*}
        if ! grep -qx -- "$line" "$KOUT/.config"; then
            printf 'error: %s requested, .config has: %s\n' "$line" \
                "$(grep -E "^$sym=|^# $sym is not set" "$KOUT/.config" || echo 'nothing')" >&2
            bad=1
        fi
    done < <(cat "${FRAGMENTS[@]}")
    [ $bad -eq 0 ] || die "the kernel configuration lost requested options (see above)"

    step "building the $FLAVOUR test kernel with $JOBS jobs (about 13 minutes cold on 2 cores; log: $LOG-build.log)"
    start=$(date +%s)
    kmake bzImage modules >"$LOG-build.log" 2>&1 &
    pid=$!
    while kill -0 $pid 2>/dev/null; do
        sleep 30
        kill -0 $pid 2>/dev/null && step "  kernel build running, $(( $(date +%s) - start )) s, $(grep -c '^ *[A-Z]' "$LOG-build.log") steps"
    done
    if ! wait $pid; then
        tail -n 60 "$LOG-build.log" >&2
        die "kernel build failed (log: $LOG-build.log)"
    fi
    rm -rf "$KOUT/modroot"
    run_logged "$LOG-modinst.log" kmake INSTALL_MOD_PATH="$KOUT/modroot" INSTALL_MOD_STRIP=1 modules_install
    step "kernel built in $(( $(date +%s) - start )) s"
    touch "$KOUT/.built"
fi
echo "$KOUT"
