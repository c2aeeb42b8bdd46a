#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The main job (`make run`), run inside the guest by scripts/run-main.sh with dm-crypt-rs
# loaded: it shows the target registered and what it serves.

set -e
echo "== kernel: $(uname -r), $(nproc) CPUs"
echo "== dm-crypt-rs: $(cat /sys/module/dm_crypt_rs/parameters/target_name) target registered"
dmsetup targets
echo "== dmesg"
dmesg | grep -e dm_crypt_rs -e device-mapper | tail -n 5
echo
echo "dm-crypt-rs cannot serve volumes yet: its constructor refuses every table until the"
echo "I/O path lands (issue 3); the C dm-crypt is in /lib/modules/kernel/dm-crypt.ko."
