#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make fuzz`: two halves.
#
# The host half: the fuzz targets of fuzz/ (cargo-fuzz, libFuzzer), each for a fixed budget,
# on the host (no guest, no kernel build). The table target compares the driver's parser with
# an exact model of the C target (fuzz/src/upstream.rs).
#
# The guest half: tests/guest/table_fuzz.sh in one boot of the test guest, random and mutated
# tables and messages through dmsetup against the C target and dm-crypt-rs, with a new seed
# each run and more tables than `make test` uses.
#
#   FUZZ_SECONDS        seconds per host target (default 120)
#   FUZZ_TARGETS        the host targets to run (default: all in fuzz/fuzz_targets/)
#   FUZZ_SANITIZER      address (default) or none
#   FUZZ_HOST=0         skip the host half
#   FUZZ_GUEST=0        skip the guest half
#   FUZZ_SEED           the guest half's seed (default: `date +%s`; printed, to repeat a run)
#   FUZZ_GUEST_TABLES   tables in the guest half (default 3000; a quarter as many messages)
#   FUZZ_GUEST_TIMEOUT  seconds for the guest boot (default: 600 + one per table)
#
# cargo-fuzz is installed into the cache. Each target's corpus grows in
# $DMCRYPT_CACHE/fuzz/corpus/<target>, seeded from fuzz/seeds/<target>; a crashing input is
# kept in $DMCRYPT_CACHE/fuzz/artifacts/<target>/ and re-run first by the next runs until it
# passes. One line per target and a summary line, then the guest half's result line
# ("N tables (seed S): ... D differ"); the guest's TAP output is kept in
# $DMCRYPT_CACHE/logs/fuzz-guest-<date>.log. The exit status is non-zero on a crash or a
# difference.

source "$(dirname "$0")/common.sh"

CARGO_FUZZ_VERSION=0.13.2
seconds=${FUZZ_SECONDS:-120}
sanitizer=${FUZZ_SANITIZER:-address}
[[ $seconds =~ ^[1-9][0-9]*$ ]] || die "FUZZ_SECONDS must be a positive number of seconds"
guest_tables=${FUZZ_GUEST_TABLES:-3000}
[[ $guest_tables =~ ^[1-9][0-9]*$ ]] || die "FUZZ_GUEST_TABLES must be a positive number"
seed=${FUZZ_SEED:-$(date +%s)}
[[ $seed =~ ^[0-9]+$ ]] || die "FUZZ_SEED must be a number"
guest_timeout=${FUZZ_GUEST_TIMEOUT:-$((600 + guest_tables))}
[[ $guest_timeout =~ ^[0-9]+$ ]] && [ "$guest_timeout" -ge 300 ] ||
    die "FUZZ_GUEST_TIMEOUT must be a number of seconds, at least 300"

failed=0

# The guest half: table_fuzz.sh with FUZZ_SEED and FUZZ_GUEST_TABLES, in a boot of its own.
fuzz_guest() {
    local log tap result
    log=$DMCRYPT_CACHE/logs/fuzz-guest-$(date +%Y%m%d-%H%M%S).log
    mkdir -p "$DMCRYPT_CACHE/logs" "$DMCRYPT_CACHE/fuzz"
    step "guest half: tests/guest/table_fuzz.sh, $guest_tables tables, seed $seed (log: $log)"
    echo "fuzz: guest: seed $seed (repeat with FUZZ_SEED=$seed FUZZ_GUEST_TABLES=$guest_tables)"
    # The per-test limit of tests/guest/run.sh leaves the boot a few minutes.
    DMCRS_CONSOLE_LOG=${log%.log}-console.log "$TOP/scripts/vm" --no-load \
        --env DMCRS_FUZZ_SEED="$seed" --env DMCRS_FUZZ_TABLES="$guest_tables" \
        --env DMCRS_TEST_TIMEOUT=$((guest_timeout - 180)) --timeout "$guest_timeout" \
        "$TOP/tests/guest/run.sh" table_fuzz >"$log" 2>&1 || true
    tap=$(grep -E '^(not )?ok [0-9]+ ' "$log" || true)
    result=$(sed -n 's/^# \([0-9]* tables (seed .*\)$/\1/p' "$log" | tail -n1)
    grep -E '^# +(table|message) [0-9]+ .*differs|^# +(C|rs): ' "$log" | sed 's/^# */  /' || true
    if [[ $tap == "ok "* ]]; then
        echo "fuzz: guest: $result"
    else
        failed=$((failed + 1))
        echo "fuzz: guest: FAILED (${tap:-no TAP result}): ${result:-no result line}"
        grep -E '^# +(FAIL|not ok)|^error:' "$log" | tail -n 5 || true
        [[ -n $tap ]] || tail -n 20 "$log"
        echo "  log: $log; repeat with FUZZ_SEED=$seed FUZZ_GUEST_TABLES=$guest_tables"
    fi
    echo "fuzz: $(date -u +%Y-%m-%d) guest: ${result:-no result line}${tap:+, ${tap%% *}}" \
        >"$DMCRYPT_CACHE/fuzz/last-guest-result"
}

if [ "${FUZZ_HOST:-1}" = 0 ]; then
    [ "${FUZZ_GUEST:-1}" = 0 ] && die "FUZZ_HOST=0 and FUZZ_GUEST=0: nothing to do"
    fuzz_guest
    [ $failed -eq 0 ]
    exit
fi

rustc_version=$(rustc --version | awk '{print $2}')
cf_root=$DMCRYPT_CACHE/cargo-fuzz-$CARGO_FUZZ_VERSION-$rustc_version
if [ ! -x "$cf_root/bin/cargo-fuzz" ]; then
    cache_lock cargo-fuzz
    if [ ! -x "$cf_root/bin/cargo-fuzz" ]; then
        step "installing cargo-fuzz $CARGO_FUZZ_VERSION into $cf_root"
        rm -rf "$cf_root.tmp"
        run_logged "$DMCRYPT_CACHE/logs/cargo-fuzz-install.log" \
            cargo install --locked --jobs 1 cargo-fuzz --version "$CARGO_FUZZ_VERSION" \
            --root "$cf_root.tmp"
        mv "$cf_root.tmp" "$cf_root"
    fi
    exec 9>&-
fi
export PATH=$cf_root/bin:$PATH
# cargo-fuzz hands rustc nightly-only flags (-Zsanitizer=address and the coverage passes);
# the stable compiler takes them with RUSTC_BOOTSTRAP=1, and its standard library ships the
# sanitizer runtimes.
export RUSTC_BOOTSTRAP=1
# Lean builds: the machine may be building a kernel at the same time.
export CARGO_BUILD_JOBS=${CARGO_BUILD_JOBS:-1}

work=$DMCRYPT_CACHE/fuzz
mkdir -p "$work" "$DMCRYPT_CACHE/logs"
flags=(-O -a --fuzz-dir "$TOP/fuzz" --target-dir "$work/target")

if [ -n "${FUZZ_TARGETS:-}" ]; then
    read -r -a targets <<<"$FUZZ_TARGETS"
else
    mapfile -t targets < <(cd "$TOP/fuzz/fuzz_targets" && ls -- *.rs | sed 's/\.rs$//')
fi
[ ${#targets[@]} -gt 0 ] || die "no fuzz targets"

step "building the fuzz targets (cargo-fuzz $CARGO_FUZZ_VERSION, sanitizer $sanitizer)"
if ! run_logged "$DMCRYPT_CACHE/logs/fuzz-build.log" \
    cargo fuzz build "${flags[@]}" -s "$sanitizer"; then
    [ "$sanitizer" = none ] && die "cannot build the fuzz targets"
    step "the $sanitizer sanitizer does not build here: falling back to none"
    sanitizer=none
    run_logged "$DMCRYPT_CACHE/logs/fuzz-build.log" cargo fuzz build "${flags[@]}" -s none
fi
flags+=(-s "$sanitizer")

# stat NAME LOG: a libFuzzer final statistic.
stat() { sed -n "s/^stat::$1: *//p" "$2" | tail -n1; }
# last_field NAME LOG: the last value of "NAME: <n>" in libFuzzer's status lines.
last_field() { { grep -o "$1: [0-9]*" "$2" || true; } | tail -n1 | awk '{print $2}'; }

total_runs=0 crashed=0 cov_summary=() crash_files=()
for t in "${targets[@]}"; do
    [ -f "$TOP/fuzz/fuzz_targets/$t.rs" ] || die "no fuzz target $t"
    corpus=$work/corpus/$t artifacts=$work/artifacts/$t log=$DMCRYPT_CACHE/logs/fuzz-$t.log
    mkdir -p "$corpus" "$artifacts/passing"

    # Crashes of earlier runs first: one that still crashes fails this run.
    old=()
    mapfile -t old < <(find "$artifacts" -maxdepth 1 -type f | sort)
    still=()
    for a in "${old[@]}"; do
        if cargo fuzz run "${flags[@]}" "$t" "$a" >"$log.rerun" 2>&1; then
            mv "$a" "$artifacts/passing/"
        else
            still+=("$a")
        fi
    done
    if [ ${#still[@]} -gt 0 ]; then
        printf 'fuzz: %s: %d earlier crash(es) still crash: %s\n' "$t" ${#still[@]} "${still[*]}"
        grep -m1 -A4 'panicked at' "$log.rerun" || true
        crashed=$((crashed + 1)) crash_files+=("${still[@]}")
        cov_summary+=("$t -")
        continue
    fi

    step "fuzzing $t for $seconds s (corpus $corpus)"
    rc=0
    cargo fuzz run "${flags[@]}" "$t" "$corpus" "$TOP/fuzz/seeds/$t" -- \
        -max_total_time="$seconds" -max_len=4096 -timeout=10 -rss_limit_mb=4096 \
        -artifact_prefix="$artifacts/" -print_final_stats=1 >"$log" 2>&1 || rc=$?

    runs=$(stat number_of_executed_units "$log")
    cov=$(last_field cov "$log") ft=$(last_field ft "$log")
    corp=$(last_field corp "$log")
    new=$(sed -n 's/.*Test unit written to //p' "$log")
    total_runs=$((total_runs + ${runs:-0}))
    cov_summary+=("$t ${cov:-?}")
    if [ $rc -ne 0 ] || [ -n "$new" ]; then
        crashed=$((crashed + 1))
        printf 'fuzz: %s: CRASH after %s runs (cov %s): input kept in %s\n' \
            "$t" "${runs:-?}" "${cov:-?}" "${new:-(none written, see $log)}"
        grep -m1 -A6 -e 'panicked at' -e '==ERROR' "$log" || tail -n 20 "$log"
        [ -z "$new" ] || { crash_files+=("$new"); od -A d -c "$new" | head -n 20; }
    else
        printf 'fuzz: %s: %s runs in %s s, cov %s, ft %s, corpus %s, no crash\n' \
            "$t" "${runs:-?}" "$seconds" "${cov:-?}" "${ft:-?}" "${corp:-?}"
    fi
done
rmdir "$TOP/fuzz/artifacts"/* "$TOP/fuzz/artifacts" 2>/dev/null || true

summary="fuzz: $(date -u +%Y-%m-%d) ${#targets[@]} targets x ${seconds} s (sanitizer $sanitizer):"
summary+=" $total_runs runs, coverage ($(IFS=,; echo "${cov_summary[*]}" | sed 's/,/, /g')),"
summary+=" crashes $crashed/${#targets[@]}"
echo "$summary"
echo "$summary" >"$work/last-result"
if [ $crashed -gt 0 ]; then
    printf 'crashing inputs: %s\n' "${crash_files[*]}"
    failed=$((failed + 1))
fi

[ "${FUZZ_GUEST:-1}" = 0 ] || fuzz_guest
[ $failed -eq 0 ]
