#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# dm-crypt-rs loads, registers "crypt" v1.29.0, and unloads cleanly.
. ./lib.sh

module_loaded dm_crypt && fail "the C dm-crypt is loaded already"
dmcrs-load rs || fail "insmod dm-crypt-rs.ko failed"
module_loaded dm_crypt_rs || fail "/sys/module/dm_crypt_rs missing after insmod"

line=$(dmsetup targets | grep '^crypt ')
log "dmsetup targets: $line"
expect_eq "crypt target version" "crypt            v1.29.0" "$line"
# It is dm-crypt-rs that provides it: the C module is not loaded.
module_loaded dm_crypt && fail "dm_crypt got loaded alongside"
expect_eq "target_name parameter" crypt "$(cat /sys/module/dm_crypt_rs/parameters/target_name)"
dmesg | grep -q 'dm_crypt_rs: target "crypt" v1.29.0 registered' || fail "no registration message in dmesg"

rmmod dm_crypt_rs || fail "rmmod dm_crypt_rs failed"
module_loaded dm_crypt_rs && fail "module still loaded after rmmod"
dmsetup targets | grep -q '^crypt ' && fail "crypt target still listed after unload"

# Load and unload again: nothing was left behind.
dmcrs-load rs crypt_alt || fail "second insmod failed"
dmsetup targets | grep -q '^crypt_alt  *v1.29.0$' || fail "target not listed as crypt_alt"
rmmod dm_crypt_rs || fail "second rmmod failed"
exit 0
