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

# kmsg_mark writes a unique line to the kernel log; since_mark prints the log from the last
# mark on. A marker rather than a line count: once the log buffer wraps (the audit records of
# earlier tests fill it) the count of lines stays the same. Unique without a counter, so a
# mark made in a subshell ($(...)) is as good as any.
kmsg_mark() {
    _mark="dmcrs-mark-$(cat /proc/sys/kernel/random/uuid)"
    echo "$_mark" >/dev/kmsg
}
since_mark() { dmesg | sed -n "/$_mark\$/,\$p"; }

# same_writes DEV BS MIB: the equivalence tests' writes, the same on every device: a random
# mix of sizes (BS to 1 MiB, aligned to BS) over MIB MiB, then a sequential pass of 3 * BS
# blocks over a quarter of it.
same_writes() {
    fio --name=eq --filename="$1" --rw=randwrite --bsrange=$2-1m --blockalign=$2 \
        --randrepeat=1 --randseed=4242 --refill_buffers --direct=1 --ioengine=psync \
        --size=${3}m --output=/dev/null || fail "fio on $1"
    fio --name=seq --filename="$1" --rw=write --bs=$(($2 * 3)) --offset=$(($2 * 5)) \
        --randrepeat=1 --randseed=99 --refill_buffers --direct=1 --ioengine=psync \
        --size=$(($3 / 4))m --output=/dev/null || fail "fio seq on $1"
}

# fail_nth_ready: readies fault injection for dmcrs-failnth (failslab and fail_page_alloc
# quiet, failing sleeping allocations too, until the test ends); false if the kernel has none.
fail_nth_ready() {
    _dbg=/sys/kernel/debug
    [ -d $_dbg/failslab ] && [ -e /proc/self/fail-nth ] || return 1
    for _f in failslab fail_page_alloc; do
        echo 0 >$_dbg/$_f/verbose
        echo N >$_dbg/$_f/ignore-gfp-wait
    done
    on_exit "echo Y >$_dbg/failslab/ignore-gfp-wait; echo Y >$_dbg/fail_page_alloc/ignore-gfp-wait"
}

# A device-mapper device is removed when the test ends.
dm_create() { # NAME TABLE
    dmsetup create "$1" --table "$2" || return 1
    on_exit "dmsetup remove --retry $1 2>/dev/null"
}

# A null_blk device made through configfs; prints its path. null_blk must be loaded
# (nr_devices=0) and configfs mounted (nullb_setup does both). Called in $(...), it cannot
# register its own cleanup: the caller adds on_exit "nullb_remove NAME".
nullb_create() { # NAME SIZE_MIB MEMORY_BACKED [IRQMODE [ZONE_SIZE_MIB]]
    _d=/sys/kernel/config/nullb/$1
    mkdir "$_d" || return 1
    echo "$2" >"$_d/size"
    echo "$3" >"$_d/memory_backed"
    [ -z "${4:-}" ] || echo "$4" >"$_d/irqmode"
    if [ -n "${5:-}" ]; then
        echo 1 >"$_d/zoned"
        echo "$5" >"$_d/zone_size"
        echo 0 >"$_d/zone_nr_conv"
    fi
    echo 1 >"$_d/power" || return 1
    # Recent kernels name the disk after the configfs item, older ones nullb<index>.
    if [ -b "/dev/$1" ]; then echo "/dev/$1"; else echo "/dev/nullb$(cat "$_d/index")"; fi
}

nullb_remove() { rmdir "/sys/kernel/config/nullb/$1"; }

# Loads null_blk without devices and mounts configfs, for nullb_create.
nullb_setup() {
    insmod /lib/modules/kernel/null_blk.ko nr_devices=0 || return 1
    on_exit "rmmod null_blk"
    grep -q " /sys/kernel/config " /proc/mounts || mount -t configfs none /sys/kernel/config
}

# bench_table TARGET DEV MIB CIPHER SS FLAGS: the table of the benchmarks (make bench, make
# icount): the first MIB MiB of DEV under TARGET, with CIPHER (aes256, aes512: XTS with a
# fixed key; null), sector size SS and the flag set FLAGS (default, nowq, samecpu, sfcc;
# mdulib and mduapi: default flags, and iv_large_sectors for mduapi above 512-byte sectors).
# Fails, printing nothing, on an unknown cipher or flag set.
bench_table() {
    _k64=$(printf '0123456789abcdef%.0s' 1 2 3 4)
    case $4 in
        aes256) _spec="aes-xts-plain64 $_k64" ;;
        aes512) _spec="aes-xts-plain64 $_k64$_k64" ;;
        null) _spec="cipher_null-ecb -" ;;
        *) echo "bench_table: unknown cipher $4" >&2; return 1 ;;
    esac
    case $6 in
        default | mdulib) _f= ;;
        nowq) _f="no_read_workqueue no_write_workqueue" ;;
        samecpu) _f=same_cpu_crypt ;;
        sfcc) _f=submit_from_crypt_cpus ;;
        mduapi) _f= ; [ "$5" = 512 ] || _f=iv_large_sectors ;;
        *) echo "bench_table: unknown flag set $6" >&2; return 1 ;;
    esac
    [ "$5" = 512 ] || _f="$_f sector_size:$5"
    _t="0 $(($3 * 2048)) $1 $_spec 0 $2 0"
    set -- $_f
    [ $# -eq 0 ] || _t="$_t $# $*"
    echo "$_t"
}
