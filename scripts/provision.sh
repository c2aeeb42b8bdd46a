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
# `provision.sh --packages P...` only installs host packages; `provision.sh --llvm` only
# provides the LLVM toolchain of rustc's own LLVM major version and prints the kernel make
# arguments that select it (see provision_rustc_llvm).
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

# The clang, lld and LLVM tools of rustc's LLVM major version, which a kernel with
# CONFIG_RUST_INLINE_HELPERS needs (C helpers compiled to LLVM bitcode and linked into the Rust
# objects: both sides must be of one LLVM). Debian 12 has no such LLVM, so this takes Debian
# 13's packages and their runtime libraries (glibc 2.41 included), unpacks them under the
# cache and points the programs' interpreter and library path there (patchelf). Nothing is
# installed system-wide. bindgen must parse the kernel's headers with the flags of that clang,
# which the PyPI libclang 18 rejects: a copy of bindgen runs on the same runtime with that
# LLVM's libclang. Sets LLVM_BIN (with a trailing slash: the kernel's LLVM=<prefix>),
# LLVM_BINDGEN and LLVM_LIBCLANG_PATH.
RUSTC_LLVM_RUNTIME=(libc6 libstdc++6 libgcc-s1 libedit2 libffi8 libxml2 libz3-4 libzstd1 zlib1g
                    libbsd0 libmd0 libtinfo6 liblzma5 libicu76)
provision_rustc_llvm() {
    local major suite=trixie ver dir p pkgs=() f
    major=$(rustc -vV | sed -n 's/^LLVM version: \([0-9]*\).*/\1/p')
    [ -n "$major" ] || die "cannot read rustc's LLVM version from rustc -vV"
    private_apt_update
    ver=$(private_apt_cache madison "clang-$major" | awk -v s="$suite" '$0 ~ " "s"/main " {print $3; exit}')
    [ -n "$ver" ] || die "Debian $suite has no clang-$major (rustc $(rustc --version | awk '{print $2}') uses LLVM $major)"
    dir=$DMCRYPT_CACHE/llvm-$(printf %s "${ver#*:}" | tr "~" _)-$suite-bindgen-$BINDGEN_VERSION
    LLVM_BIN=$dir/root/usr/lib/llvm-$major/bin/
    LLVM_BINDGEN=$dir/bin/bindgen
    LLVM_LIBCLANG_PATH=$dir/root/usr/lib/llvm-$major/lib
    [ -f "$dir/.installed" ] && return 0
    provision_bindgen
    provision_host_packages patchelf
    step "fetching clang, lld and llvm $ver from Debian $suite (rustc's LLVM $major)"
    rm -rf "$dir"
    mkdir -p "$dir/debs" "$dir/root"
    for p in "clang-$major" "libclang-cpp$major" "libllvm$major" "lld-$major" "llvm-$major" \
             "llvm-$major-linker-tools" "libclang-common-$major-dev" "libclang1-$major" \
             "${RUSTC_LLVM_RUNTIME[@]}"; do
        pkgs+=("$p/$suite")
    done
    (cd "$dir/debs" && run_logged "$DMCRYPT_CACHE/logs/download-llvm-$major.log" private_apt download "${pkgs[@]}")
    for p in "$dir"/debs/*.deb; do
        dpkg-deb -x "$p" "$dir/root"
    done
    # The programs run on their own glibc and libraries: DT_RPATH (not RUNPATH), so that it
    # also applies to the libraries' own dependencies.
    mkdir -p "$dir/bin"
    cp "$BINDGEN" "$LLVM_BINDGEN"
    for f in "$LLVM_BIN"* "$LLVM_BINDGEN"; do
        [ -f "$f" ] && [ ! -L "$f" ] && [ "$(head -c4 "$f" | tail -c3)" = ELF ] || continue
        patchelf --set-interpreter "$dir/root/usr/lib64/ld-linux-x86-64.so.2" --force-rpath \
            --set-rpath "$dir/root/usr/lib/llvm-$major/lib:$dir/root/usr/lib/x86_64-linux-gnu" "$f"
    done
    # The libraries with a RUNPATH of their own (libclang: $ORIGIN/../lib) would not see the
    # programs' DT_RPATH when bindgen loads them; give them the same path.
    for f in "$dir"/root/usr/lib/x86_64-linux-gnu/*.so.*; do
        [ -f "$f" ] && [ ! -L "$f" ] && [ -n "$(patchelf --print-rpath "$f" 2>/dev/null)" ] || continue
        patchelf --force-rpath --set-rpath "$dir/root/usr/lib/x86_64-linux-gnu" "$f"
    done
    "${LLVM_BIN}clang" --version >/dev/null || die "the unpacked clang-$major does not run"
    LIBCLANG_PATH=$LLVM_LIBCLANG_PATH "$LLVM_BINDGEN" --version >/dev/null ||
        die "bindgen does not run on the unpacked libclang-$major"
    rm -rf "$dir/debs"
    touch "$dir/.installed"
}

# `provision.sh --packages P...`: only make sure the host packages P are installed.
if [ "${1:-}" = --packages ]; then
    shift
    provision_host_packages "$@"
    exit 0
fi
# `provision.sh --llvm`: only the LLVM of rustc's version; prints the kernel make arguments
# for it, one per line.
if [ "${1:-}" = --llvm ]; then
    provision_rustc_llvm
    printf '%s\n' "LLVM=$LLVM_BIN" "BINDGEN=$LLVM_BINDGEN" "LIBCLANG_PATH=$LLVM_LIBCLANG_PATH"
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
