#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Installs and fetches everything the build and the tests need; idempotent.
#
#   1. Host packages with apt-get (the machine's own apt configuration).
#   2. Debian linux-source-7.3 (7.3.4, trixie-backports) via a private apt configuration.
#   3. Debian rust-src of exactly `rustc --version`, extracted, for RUST_LIB_SRC.
#   4. bindgen-cli (cargo install --locked) and libclang >= 17 (PyPI wheel) for LIBCLANG_PATH.
#
# Writes $DMCRYPT_CACHE/toolchain.env with the resulting paths.

source "$(dirname "$0")/common.sh"

HOST_PACKAGES=(
    build-essential bc bison flex libelf-dev libssl-dev cpio xz-utils zstd kmod
    qemu-system-x86 busybox-static cryptsetup-bin dmsetup e2fsprogs fio util-linux keyutils
    python3 python3-pip patch
)

provision_host_packages() {
    local missing=() p
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    step "installing host packages: ${missing[*]}"
    [ "$(id -u)" -eq 0 ] || die "host packages missing (${missing[*]}); run as root or install them"
    run_logged "$DMCRYPT_CACHE/logs/apt-update.log" apt-get update -q
    run_logged "$DMCRYPT_CACHE/logs/apt-install.log" \
        env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
}

# Debian's linux-source tarball, unpacked: $KSRC.
provision_kernel_source() {
    local ver deb
    private_apt_update
    ver=$(private_apt_cache madison "linux-source-$KSERIES" | awk -v v="$KVER" '$3 ~ "^"v"-" {print $3; exit}')
    [ -n "$ver" ] || die "linux-source-$KSERIES $KVER not found in trixie-backports"
    KSRC=$DMCRYPT_CACHE/src/linux-source-${ver//\~/_}
    if [ ! -f "$KSRC/.unpacked" ]; then
        step "downloading linux-source-$KSERIES $ver"
        private_apt_download "linux-source-$KSERIES=$ver" "$DMCRYPT_CACHE/debs"
        deb=$(ls "$DMCRYPT_CACHE"/debs/linux-source-"$KSERIES"_*.deb | grep -F "${ver//\~/%7e}" | head -n1 ||
              ls "$DMCRYPT_CACHE"/debs/linux-source-"$KSERIES"_*.deb | head -n1)
        step "unpacking the kernel source"
        rm -rf "$KSRC" "$KSRC.tmp"
        mkdir -p "$KSRC.tmp"
        dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$KSRC.tmp" --wildcards './usr/src/*.tar.*'
        tar -xf "$KSRC.tmp"/usr/src/linux-source-"$KSERIES".tar.* -C "$KSRC.tmp"
        mv "$KSRC.tmp/linux-source-$KSERIES" "$KSRC"
        rm -rf "$KSRC.tmp"
        touch "$KSRC/.unpacked"
    fi
}

# rust-src matching the running rustc exactly: $RUST_LIB_SRC.
provision_rust_src() {
    local rver ver dir deb
    rver=$(rustc --version | awk '{print $2}')
    private_apt_update
    ver=$(private_apt_cache madison rust-src | awk -v v="$rver" '$3 ~ "^"v"\\+" {print $3; exit}')
    [ -n "$ver" ] || die "no Debian rust-src package matches rustc $rver (the kernel needs the exact core/alloc sources); available: $(private_apt_cache madison rust-src | awk '{print $3}' | tr '\n' ' ')"
    dir=$DMCRYPT_CACHE/rust-src-$rver
    if [ ! -f "$dir/.unpacked" ]; then
        step "downloading rust-src $ver for rustc $rver"
        private_apt_download "rust-src=$ver" "$DMCRYPT_CACHE/debs"
        deb=$(ls "$DMCRYPT_CACHE"/debs/rust-src_"$rver"*.deb | head -n1)
        rm -rf "$dir"; mkdir -p "$dir"
        dpkg-deb -x "$deb" "$dir"
        touch "$dir/.unpacked"
    fi
    RUST_LIB_SRC=$dir/usr/lib/rustlib/src/rust/library
    [ -d "$RUST_LIB_SRC/core" ] || die "rust-src package has no library/core under $RUST_LIB_SRC"
}

provision_bindgen() {
    BINDGEN_ROOT=$DMCRYPT_CACHE/bindgen-cli-$BINDGEN_VERSION-$(rustc --version | awk '{print $2}')
    if [ ! -x "$BINDGEN_ROOT/bin/bindgen" ]; then
        step "building bindgen-cli $BINDGEN_VERSION (cargo install, about a minute)"
        run_logged "$DMCRYPT_CACHE/logs/bindgen-install.log" \
            cargo install --locked --root "$BINDGEN_ROOT" "bindgen-cli@$BINDGEN_VERSION"
    fi
    BINDGEN=$BINDGEN_ROOT/bin/bindgen
}

provision_libclang() {
    local dir=$DMCRYPT_CACHE/libclang-$LIBCLANG_VERSION
    if [ ! -f "$dir/.installed" ]; then
        step "installing libclang $LIBCLANG_VERSION from PyPI"
        rm -rf "$dir"
        run_logged "$DMCRYPT_CACHE/logs/libclang-install.log" \
            python3 -m pip install --no-deps --target "$dir" "libclang==$LIBCLANG_VERSION"
        touch "$dir/.installed"
    fi
    LIBCLANG_PATH=$dir/clang/native
    [ -f "$LIBCLANG_PATH/libclang.so" ] || die "libclang.so not found under $LIBCLANG_PATH"
}

# `provision.sh --packages P...`: only make sure the host packages P are installed.
if [ "${1:-}" = --packages ]; then
    shift
    provision_host_packages "$@"
    exit 0
fi

provision_host_packages "${HOST_PACKAGES[@]}"
provision_kernel_source
provision_rust_src
provision_bindgen
provision_libclang

cat >"$TOOLCHAIN_ENV.tmp" <<EOT
# Written by scripts/provision.sh.
KSRC=$KSRC
RUST_LIB_SRC=$RUST_LIB_SRC
BINDGEN=$BINDGEN
LIBCLANG_PATH=$LIBCLANG_PATH
RUSTC_VERSION=$(rustc --version | awk '{print $2}')
export RUST_LIB_SRC LIBCLANG_PATH
EOT
mv "$TOOLCHAIN_ENV.tmp" "$TOOLCHAIN_ENV"
step "toolchain ready ($TOOLCHAIN_ENV)"
