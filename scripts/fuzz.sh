#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make fuzz`: the host-side fuzz targets of fuzz/ (cargo-fuzz, libFuzzer), each for a fixed
# budget, on the host (no guest, no kernel build).
#
#   FUZZ_SECONDS   seconds per target (default 120)
#   FUZZ_TARGETS   the targets to run (default: all in fuzz/fuzz_targets/)
#   FUZZ_STRICT=1  also fail on the known divergences from the C target (fuzz/src/upstream.rs)
#   FUZZ_SANITIZER address (default) or none
#
# cargo-fuzz is installed into the cache. Each target's corpus grows in
# $DMCRYPT_CACHE/fuzz/corpus/<target>, seeded from fuzz/seeds/<target>; a crashing input is
# kept in $DMCRYPT_CACHE/fuzz/artifacts/<target>/ and re-run first by the next runs until it
# passes. One line per target, then a summary line; the exit status is non-zero on a crash.

source "$(dirname "$0")/common.sh"

CARGO_FUZZ_VERSION=0.13.2
seconds=${FUZZ_SECONDS:-120}
sanitizer=${FUZZ_SANITIZER:-address}
[[ $seconds =~ ^[1-9][0-9]*$ ]] || die "FUZZ_SECONDS must be a positive number of seconds"

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
mode=default
if [ "${FUZZ_STRICT:-0}" = 1 ]; then
    flags+=(--features strict)
    mode=strict
fi

if [ -n "${FUZZ_TARGETS:-}" ]; then
    read -r -a targets <<<"$FUZZ_TARGETS"
else
    mapfile -t targets < <(cd "$TOP/fuzz/fuzz_targets" && ls -- *.rs | sed 's/\.rs$//')
fi
[ ${#targets[@]} -gt 0 ] || die "no fuzz targets"

step "building the fuzz targets (cargo-fuzz $CARGO_FUZZ_VERSION, sanitizer $sanitizer, $mode)"
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

summary="fuzz: $(date -u +%Y-%m-%d) ${#targets[@]} targets x ${seconds} s ($mode, sanitizer $sanitizer):"
summary+=" $total_runs runs, coverage ($(IFS=,; echo "${cov_summary[*]}" | sed 's/,/, /g')),"
summary+=" crashes $crashed/${#targets[@]}"
echo "$summary"
echo "$summary" >"$work/last-result"
if [ $crashed -gt 0 ]; then
    printf 'crashing inputs: %s\n' "${crash_files[*]}"
    exit 1
fi
