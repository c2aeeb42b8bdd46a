// SPDX-License-Identifier: GPL-2.0

//! The `scan` fuzz target: see `fuzz_scan` in `src/targets.rs`.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| dm_crypt_rs_fuzz::fuzz_scan(data));
