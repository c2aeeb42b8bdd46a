# SPDX-License-Identifier: GPL-2.0
# Shared helpers for the provisioning and guest scripts. Source it; do not run it.
#
# Everything downloaded or built lives under $DMCRYPT_CACHE (default ~/.cache/dm-crypt-rs),
# outside the checkout, in folders whose names carry the inputs that produced them.

set -euo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DMCRYPT_CACHE=${DMCRYPT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dm-crypt-rs}
mkdir -p "$DMCRYPT_CACHE"

# Pinned inputs.
KVER=7.3.4
KSERIES=7.3
BINDGEN_VERSION=0.72.1
LIBCLANG_VERSION=18.1.1

# step "message": a progress line on stderr.
step() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# run_logged LOG cmd...: run a long command with its output in LOG; on failure print the log's tail.
run_logged() {
    local log=$1; shift
    mkdir -p "$(dirname "$log")"
    if ! "$@" >"$log" 2>&1; then
        printf 'error: step failed: %s\n--- last 60 lines of %s ---\n' "$*" "$log" >&2
        tail -n 60 "$log" >&2
        return 1
    fi
}

# A lock so that two concurrent runs don't build the same cache entry.
cache_lock() {
    exec 9>"$DMCRYPT_CACHE/.lock-$1"
    flock 9
}

# The Debian mirror this machine's own apt uses (never hard-coded here).
debian_mirror() {
    local uri
    uri=$(grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null |
          awk '{print $2}' | grep -v -- '-security' | grep -m1 debian || true)
    if [ -z "$uri" ]; then
        uri=$(grep -hs '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
              awk '{for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) {print $i; exit}}' |
              grep -v -- '-security' | grep -m1 debian || true)
    fi
    [ -n "$uri" ] || die "cannot find a Debian mirror in /etc/apt/sources.list*"
    printf '%s\n' "${uri%/}"
}

# private_apt args...: apt-get with a private configuration under the cache: its own sources
# (trixie, trixie-backports, sid), lists and archives. Nothing is installed system-wide.
PAPT=$DMCRYPT_CACHE/apt
private_apt() {
    "apt-get" -q \
        -o Dir::Etc::SourceList="$PAPT/sources.list" \
        -o Dir::Etc::SourceParts="$PAPT/sources.list.d" \
        -o Dir::State="$PAPT/state" \
        -o Dir::State::Lists="$PAPT/lists" \
        -o Dir::State::status="$PAPT/status" \
        -o Dir::Cache="$PAPT/cache" \
        -o Debug::NoLocking=1 \
        -o APT::Get::List-Cleanup=0 \
        "$@"
}

private_apt_update() {
    local stamp=$PAPT/lists/.updated mirror
    if [ -f "$stamp" ] && [ -z "$(find "$stamp" -mmin +1440)" ]; then
        return 0
    fi
    mirror=$(debian_mirror)
    mkdir -p "$PAPT/sources.list.d" "$PAPT/state" "$PAPT/lists/partial" "$PAPT/cache/archives/partial"
    : >"$PAPT/status"
    cat >"$PAPT/sources.list" <<EOT
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror trixie main
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror trixie-backports main
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror sid main
EOT
    step "updating the private apt lists (trixie, trixie-backports, sid)"
    run_logged "$DMCRYPT_CACHE/logs/private-apt-update.log" private_apt update
    touch "$stamp"
}

# private_apt_download PKG=VERSION DEST: download one .deb into DEST (cached).
private_apt_download() {
    local spec=$1 dest=$2
    mkdir -p "$dest"
    (cd "$dest" && run_logged "$DMCRYPT_CACHE/logs/download-${spec%%=*}.log" private_apt download "$spec")
}

private_apt_cache() {
    "apt-cache" \
        -o Dir::Etc::SourceList="$PAPT/sources.list" \
        -o Dir::Etc::SourceParts="$PAPT/sources.list.d" \
        -o Dir::State="$PAPT/state" \
        -o Dir::State::Lists="$PAPT/lists" \
        -o Dir::State::status="$PAPT/status" \
        -o Dir::Cache="$PAPT/cache" \
        "$@"
}

# The toolchain environment written by scripts/provision.sh.
TOOLCHAIN_ENV=$DMCRYPT_CACHE/toolchain.env
load_toolchain() {
    [ -f "$TOOLCHAIN_ENV" ] || "$TOP/scripts/provision.sh"
    # shellcheck disable=SC1090
    source "$TOOLCHAIN_ENV"
}
