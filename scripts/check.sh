#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make check`: rustfmt with the kernel's settings (its .rustfmt.toml) over every .rs file,
# then clippy on the module build (the kernel's CLIPPY=1, with its lint set and .clippy.toml),
# then clippy on the host crate. `--fix` formats instead of checking.

source "$(dirname "$0")/common.sh"
load_toolchain

mode=--check
[ "${1:-}" = --fix ] && mode=

mapfile -t files < <(cd "$TOP" && git ls-files '*.rs'; cd "$TOP" && git ls-files --others --exclude-standard '*.rs')
step "rustfmt ${mode:-(fixing)} (kernel settings) over ${#files[@]} files"
(cd "$TOP" && rustfmt --edition 2021 --config-path "$KSRC/.rustfmt.toml" $mode "${files[@]}")
[ -n "$mode" ] || exit 0

step "clippy on the module (CLIPPY=1, warnings are errors)"
# Clippy may change codegen: force the crate to be rebuilt with clippy-driver, and again
# without it afterwards, so no clippy-built object is ever loaded. (Not `make clean`: Kbuild's
# clean deletes every *.o under the checkout, cargo's target/ included.)
log=$DMCRYPT_CACHE/logs/clippy.log
touch "$TOP/src/dm_crypt_rs.rs"
if ! "$TOP/scripts/module-make.sh" CLIPPY=1 KRUSTFLAGS=-Dwarnings modules >"$log" 2>&1; then
    cat "$log" >&2
    die "clippy found problems"
fi
if grep -q '^warning' "$log"; then
    cat "$log" >&2
    die "clippy warnings"
fi
touch "$TOP/src/dm_crypt_rs.rs"
"$TOP/scripts/module-make.sh" modules >/dev/null

step "clippy on the host crate"
(cd "$TOP" && cargo clippy --offline --quiet --all-targets -- -D warnings)
step "check passed"
