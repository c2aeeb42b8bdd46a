// SPDX-License-Identifier: GPL-2.0

//! Tests of the kernel-`sscanf`-compatible scanning (`src/crypt/scan.rs`).

use crate::scan::*;

#[test]
fn whole_numbers() {
    assert_eq!(scan_u64(b"0"), Some(0));
    assert_eq!(scan_u64(b"18446744073709551615"), Some(u64::MAX));
    assert_eq!(scan_u64(b"007"), Some(7));
    // Leading white space is skipped, as `%llu` does.
    assert_eq!(scan_u64(b" \t42"), Some(42));
}

#[test]
fn rejects_what_sscanf_rejects() {
    for bad in [
        &b""[..],
        b"-1",
        b"+1",
        b"1x",
        b"1 ",
        b"x1",
        b" ",
        b"0x10",
        b"1.0",
    ] {
        assert_eq!(scan_u64(bad), None, "{:?}", core::str::from_utf8(bad));
    }
}

#[test]
fn saturates_like_parse_integer_limit_and_truncates_to_width() {
    // Past 2^64 - 1 the value sticks there (Linux 7.3's `_parse_integer_limit`); %u then
    // keeps the low 32 bits, %hu the low 16.
    assert_eq!(scan_u64(b"18446744073709551615"), Some(u64::MAX));
    assert_eq!(scan_u64(b"18446744073709551616"), Some(u64::MAX));
    assert_eq!(scan_u64(b"99999999999999999999999999"), Some(u64::MAX));
    assert_eq!(scan_u32(b"18446744073709552128"), Some(u32::MAX));
    assert_eq!(scan_u32(b"4294967297"), Some(1));
    assert_eq!(scan_u16(b"66048"), Some(512));
}

#[test]
fn no_break_space_is_white_space() {
    // The kernel's ctype is Latin-1: 0xa0 is a space, skipped before a number.
    assert_eq!(scan_u64(b"\xa08"), Some(8));
    assert!(is_space(0xa0));
    assert!(!is_space(0x85));
}

#[test]
fn prefix_scanning_leaves_the_rest() {
    assert_eq!(scan_u64_prefix(b"32:logon:x"), Some((32, &b":logon:x"[..])));
    assert_eq!(scan_u64_prefix(b":32"), None);
}

#[test]
fn hex_decoding() {
    let mut out = [0u8; 4];
    assert!(hex2bin(&mut out, b"DEADbeef"));
    assert_eq!(out, [0xde, 0xad, 0xbe, 0xef]);
    // An odd trailing nibble is not part of the key.
    let mut out = [0u8; 2];
    assert!(hex2bin(&mut out, b"01023"));
    assert_eq!(out, [1, 2]);
    assert!(!hex2bin(&mut [0u8; 2], b"01g2"));
    assert!(!hex2bin(&mut [0u8; 2], b"012"));
}
