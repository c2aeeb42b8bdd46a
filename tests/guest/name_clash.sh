#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# With the C dm-crypt loaded, dm-crypt-rs refuses to load as "crypt" with a clear message,
# nothing breaks, and it loads beside it under another name.
. ./lib.sh

use_c_target
dmesg -c >/dev/null
if dmcrs-load rs 2>/tmp/insmod.err; then
    on_exit "dmcrs-unload rs"
    fail "dm-crypt-rs loaded although the C target holds the name crypt"
fi
log "insmod: $(cat /tmp/insmod.err)"
grep -q 'File exists\|Device or resource busy' /tmp/insmod.err || fail "unexpected insmod error"
dmesg | grep -q 'dm_crypt_rs: target "crypt" is already registered by another module' ||
    fail "no clear message in dmesg: $(dmesg | tail -n 5)"
dmesg | grep -q -e 'Oops' -e 'BUG:' -e 'WARNING:' && fail "kernel warning: $(dmesg | tail -n 20)"
module_loaded dm_crypt_rs && fail "dm_crypt_rs half-loaded"

# The C target is untouched and still the one registered as crypt.
dmsetup targets | grep -q '^crypt  *v1.29.0$' || fail "C crypt target gone"

# Side by side under another name.
use_rs_target crypt_rs
dmsetup targets | grep -q '^crypt_rs  *v1.29.0$' || fail "crypt_rs not listed"
dmsetup targets | grep -q '^crypt  *v1.29.0$' || fail "C crypt target gone after loading crypt_rs"

# And the other way round: the C module cannot take "crypt" from dm-crypt-rs.
dmcrs-unload rs
dmcrs-unload c
use_rs_target
if dmcrs-load c 2>/dev/null; then
    fail "C dm-crypt loaded although dm-crypt-rs holds crypt"
fi
dmsetup targets | grep -q '^crypt  *v1.29.0$' || fail "dm-crypt-rs crypt target gone"
exit 0
