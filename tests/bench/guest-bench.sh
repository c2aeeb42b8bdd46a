#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The guest half of `make bench` (scripts/bench.sh runs it in one guest boot): both targets
# loaded side by side (the C dm-crypt as "crypt", dm-crypt-rs as "crypt_rs"), every cell of
# the matrix run on each in turn, C then Rust, BENCH_REPS times after a warm-up of each.
#
# The matrix comes from the environment (space-separated lists):
#   BENCH_DEVICES    brd nullb-mem nullb
#   BENCH_CIPHERS    aes256 aes512 null
#   BENCH_SECTORS    512 4096
#   BENCH_FLAGS      default nowq samecpu sfcc mdulib mduapi
#                    (mdulib: default flags, dm-crypt-rs on the multi-data-unit path with the
#                    AES-XTS library backend, multi_data_unit=lib; mduapi: the same with the
#                    crypto API backend, multi_data_unit=api, iv_large_sectors on both targets
#                    above 512-byte sectors, on a kernel with data-unit support only
#                    (BENCH_KERNEL=dataunit); AES ciphers only)
#   BENCH_WORKLOADS  rr4k1 rw4k1 rr4k32 rw4k32 sr1m8 sw1m8
#   BENCH_REPS, BENCH_RUNTIME (seconds per run), BENCH_WARMUP (seconds)
#   BENCH_ROUNDS     rounds per cell (default 1), each on a fresh pair of devices, so that
#                    no one pair's allocations (their addresses matter under TCG) and no
#                    one stretch of the host's speed make the whole sample
#   BENCH_PROFILE=1  also profile each cell once per target with perf (brought along by the
#                    host in /job/files/perf) for BENCH_PROFILE_RUNTIME seconds (default 5):
#                    the KiB moved, the share of each object and the hottest symbols as "@@P"
#                    lines
#
# Every figure goes out as one line starting with "@@B" for the host to report on:
#   @@B info KEY VALUE...
#   @@B cipher NAME ENC_MIB DEC_MIB          (cryptsetup benchmark)
#   @@B raw DEV WL REP KIB_S IO_KIB BUSY_J CTXT RES CAL   (the bare device)
#   @@B run DEV CIPHER SS FLAGS WL TARGET REP KIB_S IO_KIB BUSY_J CTXT RES CAL
# KIB_S is fio's bandwidth, IO_KIB the bytes moved, BUSY_J the guest's non-idle jiffies over
# the run (all CPUs: workqueues and interrupts included), for CPU per byte. CTXT, RES and CAL
# count what the run cost the scheduler (all CPUs): context switches, rescheduling IPIs (a
# wake-up sent to another CPU) and function-call IPIs, for the same per I/O.

set -u
: "${BENCH_DEVICES:=brd nullb-mem nullb}"
: "${BENCH_CIPHERS:=aes256 aes512 null}"
: "${BENCH_SECTORS:=512 4096}"
: "${BENCH_FLAGS:=default nowq samecpu sfcc mdulib}"
: "${BENCH_WORKLOADS:=rr4k1 rw4k1 rr4k32 rw4k32 sr1m8 sw1m8}"
: "${BENCH_REPS:=3}"
: "${BENCH_ROUNDS:=1}"
: "${BENCH_RUNTIME:=2}"
: "${BENCH_WARMUP:=1}"
: "${BENCH_PROFILE_RUNTIME:=5}"
REGION_MIB=192

die() {
    echo "bench: $*" >&2
    exit 1
}

info() { echo "@@B info $*"; }

info kernel "$(uname -r)"
info cpu "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)"
info vcpus "$(grep -c '^processor' /proc/cpuinfo)"
info reps "$BENCH_REPS"
info rounds "$BENCH_ROUNDS"
# The xts(aes) implementation a table gets: the highest priority one.
info aes_driver "$(awk '/^name/ {n=$3} /^driver/ {d=$3} /^priority/ && n=="xts(aes)" && $3 > p {p=$3; best=d}
    END {print best}' /proc/crypto)"

dmcrs-load c || die "cannot load dm-crypt.ko"
dmcrs-load rs crypt_rs || die "cannot load dm-crypt-rs.ko"

# The backing devices, filled once so that reads find data everywhere.
# lib.sh of the guest tests: nullb_setup, nullb_create, bench_table.
. /job/tests/lib.sh
nullb_setup || die "cannot load null_blk"
on_exit "nullb_remove nb0; nullb_remove nb1"
NB_MEM=$(nullb_create nb0 256 1) || die "cannot make null_blk nb0"
NB_NOMEM=$(nullb_create nb1 256 0) || die "cannot make null_blk nb1"
devpath() {
    case $1 in
        brd) echo /dev/ram0 ;;
        nullb-mem) echo "$NB_MEM" ;;
        nullb) echo "$NB_NOMEM" ;;
        *) die "unknown device $1" ;;
    esac
}
for d in $BENCH_DEVICES; do
    p=$(devpath "$d")
    [ -b "$p" ] || die "no $p"
    dd if=/dev/urandom of="$p" bs=1M count=$REGION_MIB 2>/dev/null
done

# cryptsetup's own in-memory cipher figures (AF_ALG), the cipher ceiling.
for c in $BENCH_CIPHERS; do
    case $c in
        aes256) bits=256 ;;
        aes512) bits=512 ;;
        *) continue ;;
    esac
    line=$(cryptsetup benchmark -c aes-xts-plain64 -s $bits 2>/dev/null | grep -E "^[[:space:]]*aes-xts[[:space:]]+${bits}b")
    set -- $line
    [ $# -ge 6 ] && echo "@@B cipher $c $3 $5"
done

busy() {
    awk '/^cpu / {print $2 + $3 + $4 + $7 + $8 + $9; exit}' /proc/stat
}

# sched: "CTXT RES CAL", the context switches and the rescheduling and function-call IPIs so
# far (all CPUs).
sched() {
    { awk '/^ctxt / {print $2; exit}' /proc/stat; cat /proc/interrupts; } | awk '
        NR == 1 { ctxt = $1; next }
        $1 == "RES:" || $1 == "CAL:" { n = 0; for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) n += $i; v[$1] = n }
        END { print ctxt + 0, v["RES:"] + 0, v["CAL:"] + 0 }'
}

# fio_args WL: the fio options of a workload (all but the device and the run time).
fio_args() {
    case $1 in
        rr4k1) set -- randread 4k psync 1 1 ;;
        rw4k1) set -- randwrite 4k psync 1 1 ;;
        rr4k32) set -- randread 4k io_uring 32 2 ;;
        rw4k32) set -- randwrite 4k io_uring 32 2 ;;
        sr1m8) set -- read 1m io_uring 8 1 ;;
        sw1m8) set -- write 1m io_uring 8 1 ;;
        *) die "unknown workload $1" ;;
    esac
    echo "--rw=$1 --bs=$2 --ioengine=$3 --iodepth=$4 --numjobs=$5 --group_reporting --direct=1" \
        "--time_based --size=${REGION_MIB}m --norandommap --randrepeat=0"
}

# fio_run DEV WL SECONDS: prints "KIB_S IO_KIB BUSY_J CTXT RES CAL".
fio_run() {
    s0=$(sched)
    b0=$(busy)
    out=$(fio --name=b --filename="$1" $(fio_args "$2") --runtime="$3" \
        --output-format=terse --terse-version=3 2>/dev/null) || die "fio failed on $1 ($2)"
    b1=$(busy)
    s1=$(sched)
    # terse v3: field 6/7 read KiB and KiB/s, 47/48 the same for writes.
    case $2 in
        rr*|sr*) cols='$7, $6' ;;
        *) cols='$48, $47' ;;
    esac
    echo "$out" | awk -F';' -v b=$((b1 - b0)) -v s="$s0 $s1" \
        "{ split(s, x, \" \"); print $cols, b, x[4] - x[1], x[5] - x[2], x[6] - x[3]; exit }"
}

# The bare devices, for the throughput ceiling.
for d in $BENCH_DEVICES; do
    p=$(devpath "$d")
    for wl in $BENCH_WORKLOADS; do
        fio_run "$p" "$wl" "$BENCH_WARMUP" >/dev/null
        rep=1
        while [ $rep -le "$BENCH_REPS" ]; do
            echo "@@B raw $d $wl $rep $(fio_run "$p" "$wl" "$BENCH_RUNTIME")"
            rep=$((rep + 1))
        done
    done
done

PERF=
if [ "${BENCH_PROFILE:-0}" = 1 ]; then
    if [ -x /job/files/perf/perf ]; then
        PERF="env LD_LIBRARY_PATH=/job/files/perf/lib /job/files/perf/perf"
        echo 0 >/proc/sys/kernel/kptr_restrict
        echo -1 >/proc/sys/kernel/perf_event_paranoid
        [ -r /proc/kallsyms ] || info profile "no /proc/kallsyms: symbols will be missing"
    else
        info profile "perf not brought along, no profiles"
    fi
fi

# profile LABEL DEV WL: where the CPU time of one run of BENCH_PROFILE_RUNTIME seconds goes
# (all CPUs, idle left out): the share of each object (kernel, each module, user space), then
# the hottest symbols. perf's own module maps misfile samples of one module under another
# here, so each sampled address is looked up in /proc/kallsyms directly: both sorted as
# 16-digit hex strings, each address is charged to the text symbol at or below it.
profile() {
    $PERF record -q -a -F 997 -o /tmp/perf.data -- \
        fio --name=p --filename="$2" $(fio_args "$3") --runtime="$BENCH_PROFILE_RUNTIME" \
        --output-format=terse --terse-version=3 --output=/tmp/perf.fio >/dev/null 2>&1 ||
        { echo "@@P $1 perf record failed"; return; }
    # The KiB the run moved (read and written), to weigh samples per I/O.
    awk -F';' -v label="$1" '{ print "@@P " label " kib " $6 + $47; exit }' /tmp/perf.fio
    {
        awk '$2 ~ /^[tT]$/ { print $1 " 0 " $3 " " ($4 == "" ? "[kernel]" : $4) }' /proc/kallsyms
        $PERF script -i /tmp/perf.data -F ip 2>/dev/null |
            awk '{ ip = $1; while (length(ip) < 16) ip = "0" ip; print ip " 1" }'
    } | sort | awk -v label="$1" -v addrs="${BENCH_PROFILE_ADDRS:-0}" '
        function hex(h,   i, v) {
            v = 0
            for (i = 1; i <= length(h); i++) v = v * 16 + index("0123456789abcdef", substr(h, i, 1)) - 1
            return v
        }
        $2 == 0 { sym = $3; obj = $4; base = hex(substr($1, 9)); next }
        {
            if (substr($1, 1, 4) != "ffff") { s = "[user]"; o = "[user]" } else { s = sym; o = obj }
            if (s ~ /(safe_halt|default_idle|cpu_idle|do_idle|poll_idle|acpi_idle)/) next
            n++; bysym[s " " o]++; byobj[o]++
            if (addrs && o != "[kernel]" && o != "[user]") byoff[sprintf("%s+0x%x %s", s, hex(substr($1, 9)) - base, o)]++
        }
        END {
            if (!n) { print "0 0 @@P " label " no samples"; exit }
            printf "0 0 @@P %s samples %d (idle left out)\n", label, n
            for (o in byobj) printf "1 %d @@P %s dso %6.2f%% %s\n", byobj[o], label, 100 * byobj[o] / n, o
            for (s in bysym) if (100 * bysym[s] / n >= 0.3) printf "2 %d @@P %s sym %6.2f%% %s\n", bysym[s], label, 100 * bysym[s] / n, s
            for (s in byoff) if (byoff[s] >= 3) printf "3 %d @@P %s addr %d %s\n", byoff[s], label, byoff[s], s
        }' | sort -k1,1n -k2,2nr | cut -d" " -f3-
}

# create NAME TARGET DEV CIPHER SS FLAGS
create() {
    dmsetup create "$1" --table "$(bench_table "$2" "$3" $REGION_MIB "$4" "$5" "$6")" ||
        die "$2 refused $4 $5 $6"
}

# cell DEV PATH CIPHER SS FLAGS ROUND: one round of a cell on a fresh pair of devices (the C
# one created first in odd rounds, dm-crypt-rs's first in even ones), each workload's
# repetitions numbered on from the rounds before. Returns 1 if the cell is skipped.
cell() {
    # dm-crypt-rs's log line about the path it takes comes after this mark.
    mark="bench-mark-$1-$3-$4-$5-$6"
    echo "$mark" >/dev/kmsg
    if [ $(($6 % 2)) -eq 1 ]; then
        create bc crypt "$2" $3 $4 $5
        create brs crypt_rs "$2" $3 $4 $5
    else
        create brs crypt_rs "$2" $3 $4 $5
        create bc crypt "$2" $3 $4 $5
    fi
    path=$(dmesg | sed -n "/$mark\$/,\$p" | sed -n 's/.*dm_crypt_rs: [0-9:]*: //p' | tail -n 1)
    [ "$6" -gt 1 ] || echo "@@B path $1 $3 $4 $5 $path"
    if [ $5 = mduapi ] && ! echo "$path" | grep -q 'crypto API backend'; then
        echo "@@B path $1 $3 $4 $5 skipped: no crypto API backend on this kernel (BENCH_KERNEL=dataunit has it)"
        dmsetup remove bc && dmsetup remove brs || die "cannot remove the bench devices"
        return 1
    fi
    for wl in $BENCH_WORKLOADS; do
        fio_run /dev/mapper/bc "$wl" "$BENCH_WARMUP" >/dev/null
        fio_run /dev/mapper/brs "$wl" "$BENCH_WARMUP" >/dev/null
        i=1
        while [ $i -le "$BENCH_REPS" ]; do
            rep=$(((${6} - 1) * BENCH_REPS + i))
            # Alternate which goes first, so neither always follows the other.
            if [ $((rep % 2)) -eq 1 ]; then order="c rs"; else order="rs c"; fi
            for t in $order; do
                if [ $t = c ]; then m=bc; else m=brs; fi
                echo "@@B run $1 $3 $4 $5 $wl $t $rep $(fio_run /dev/mapper/$m "$wl" "$BENCH_RUNTIME")"
            done
            i=$((i + 1))
        done
        if [ -n "$PERF" ] && [ "$6" = 1 ]; then
            profile "$1 $3 $4 $5 $wl c" /dev/mapper/bc "$wl"
            profile "$1 $3 $4 $5 $wl rs" /dev/mapper/brs "$wl"
        fi
    done
    dmsetup remove bc && dmsetup remove brs || die "cannot remove the bench devices"
}

for d in $BENCH_DEVICES; do
    p=$(devpath "$d")
    for c in $BENCH_CIPHERS; do
        for ss in $BENCH_SECTORS; do
            for fl in $BENCH_FLAGS; do
                mdu=auto
                case $fl in
                    mdulib | mduapi) case $c in aes*) mdu=${fl#mdu} ;; *) continue ;; esac ;;
                esac
                echo $mdu >/sys/module/dm_crypt_rs/parameters/multi_data_unit || die "multi_data_unit=$mdu"
                round=1
                while [ $round -le "$BENCH_ROUNDS" ]; do
                    cell "$d" "$p" $c $ss $fl $round || break
                    round=$((round + 1))
                done
            done
        done
    done
done
dmesg | grep -E 'BUG:|WARNING:|Oops|Call Trace|device-mapper: .*(error|fail)' | sed 's/^/@@B dmesg /' | head -n 20
echo "@@B done"
