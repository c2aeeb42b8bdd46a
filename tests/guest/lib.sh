# SPDX-License-Identifier: GPL-2.0
# Helpers for the guest tests (kselftest conventions: exit 0 pass, 1 fail, 4 skip).
# Source it from a test script.

KSFT_PASS=0
KSFT_FAIL=1
KSFT_SKIP=4

# Diagnostics go out as TAP comments.
log() { echo "# $*"; }

skip() {
    echo "# SKIP $*"
    exit $KSFT_SKIP
}

fail() {
    echo "# FAIL: $*"
    exit $KSFT_FAIL
}

# expect_eq WHAT EXPECTED ACTUAL
expect_eq() {
    [ "$2" = "$3" ] || fail "$1: expected '$2', got '$3'"
}

# The cleanups registered with on_exit run when the test ends, last first.
_cleanups=
on_exit() { _cleanups="$*; $_cleanups"; }
trap 'eval "$_cleanups"' EXIT

module_loaded() { [ -d "/sys/module/$1" ]; }

# Loads the C dm-crypt (the oracle) or dm-crypt-rs, unloading it again when the test ends.
use_c_target() {
    module_loaded dm_crypt || { dmcrs-load c || fail "cannot load dm-crypt.ko"; on_exit "dmcrs-unload c 2>/dev/null"; }
}
use_rs_target() { # [NAME]
    module_loaded dm_crypt_rs || { dmcrs-load rs "${1:-crypt}" || fail "cannot load dm-crypt-rs.ko"; on_exit "dmcrs-unload rs 2>/dev/null"; }
}

# A scratch block device of SIZE_MIB on brd, wiped; prints its path.
ramdisk() {
    [ -b /dev/ram0 ] || fail "no /dev/ram0 (brd)"
    echo /dev/ram0
}

# hexdump of N bytes at OFFSET of FILE, as one lowercase hex string.
hexbytes() { # FILE OFFSET N
    dd if="$1" bs=1 skip="$2" count="$3" 2>/dev/null | od -An -v -tx1 | tr -d ' \n'
}

# A device-mapper device is removed when the test ends.
dm_create() { # NAME TABLE
    dmsetup create "$1" --table "$2" || return 1
    on_exit "dmsetup remove --retry $1 2>/dev/null"
}
