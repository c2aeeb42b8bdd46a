#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Audit records (CONFIG_DM_AUDIT, audit=1): dm-crypt-rs writes the records the C target
# writes for construction (success and failure), destruction, and nothing for the failures
# upstream returns on before it has any state. (The integrity event is checked in
# integrity.sh.)
. ./lib.sh

grep -qw 'audit=1' /proc/cmdline || skip "auditing is off (no audit=1 on the kernel command line)"
use_c_target
use_rs_target crypt_rs
K64=$(printf '0123456789abcdef%.0s' 1 2 3 4)

# Audit records reach the log through kauditd, asynchronously and rate-limited (printk's
# limit; a new burst applies from the next 5-second interval on).
echo 1000 >/proc/sys/kernel/printk_ratelimit_burst
sleep 6

# records: the dm audit records logged since the last call, without task and time details.
records() {
    sleep 2
    dmesg -c | sed -n -e 's/.*\(module=crypt op=[a-z-]*\) .* dev=[0-9:]*\(.*\)/\1\2/p' | tr '\n' '|'
}

for t in crypt crypt_rs; do
    dmesg -c >/dev/null
    dmsetup create au --table "0 8 $t aes-xts-plain64 $K64 0 /dev/vda 0" || fail "$t: table refused"
    dmsetup remove au
    ok=$(records)
    dmsetup create au --table "0 8 $t aes-xts-plain64 ${K64%??}zz 0 /dev/vda 0" 2>/dev/null
    bad=$(records)
    dmsetup create au --table "0 8 $t aes-xts-plain64" 2>/dev/null
    early=$(records)
    echo "$t: ok=$ok bad=$bad early=$early" | sed "s/^$t: //" >/tmp/audit-$t.txt
done
log "C:  $(cat /tmp/audit-crypt.txt)"
log "rs: $(cat /tmp/audit-crypt_rs.txt)"
cmp -s /tmp/audit-crypt.txt /tmp/audit-crypt_rs.txt || fail "audit records differ from the C target's"
grep -q "op=ctr error_msg='success' res=1" /tmp/audit-crypt_rs.txt || fail "no construction record"
grep -q "op=ctr error_msg='Error decoding and setting key' res=0" /tmp/audit-crypt_rs.txt ||
    fail "no failed construction record"
grep -q "early=$" /tmp/audit-crypt_rs.txt || fail "a record for a failure before any state"
exit 0
