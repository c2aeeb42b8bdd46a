// SPDX-License-Identifier: GPL-2.0

//! Number and key-string scanning with the exact semantics of the kernel's `sscanf` and
//! `hex2bin`, as dm-crypt applies them to table arguments.
//!
//! dm-crypt accepts a number when `sscanf(arg, "%u%c", &v, &dummy) == 1`: optional leading
//! white space, at least one decimal digit, digits up to the first non-digit, and nothing after
//! them. The value saturates at 2^64 - 1 while parsing (`_parse_integer_limit`, whose
//! overflow flag `simple_strntoull` drops) and is then truncated to the conversion's width
//! (`%hu`, `%u`, `%llu`); neither is an error. This module is pure logic and is tested on the
//! host.

/// `isspace()` of the kernel's `ctype` (Latin-1: 0xa0, the no-break space, is one).
pub(crate) fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | 0xa0)
}

/// Scans one `%llu` at the start of `s`: returns the value (saturated at 2^64 - 1) and the
/// rest of the string, or `None` when no digit follows the optional white space.
pub(crate) fn scan_u64_prefix(s: &[u8]) -> Option<(u64, &[u8])> {
    let start = s.iter().position(|&c| !is_space(c)).unwrap_or(s.len());
    let s = &s[start..];
    let digits = s
        .iter()
        .position(|c| !c.is_ascii_digit())
        .unwrap_or(s.len());
    if digits == 0 {
        return None;
    }
    let value = s[..digits].iter().fold(0u64, |acc, &c| {
        acc.checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(c - b'0')))
            .unwrap_or(u64::MAX)
    });
    Some((value, &s[digits..]))
}

/// `sscanf(s, "%llu%c", ..) == 1`: a whole-string unsigned number.
pub(crate) fn scan_u64(s: &[u8]) -> Option<u64> {
    match scan_u64_prefix(s)? {
        (v, []) => Some(v),
        _ => None,
    }
}

/// `sscanf(s, "%u%c", ..) == 1`: a whole-string `unsigned int` (truncated modulo 2^32).
pub(crate) fn scan_u32(s: &[u8]) -> Option<u32> {
    scan_u64(s).map(|v| v as u32)
}

/// `sscanf(s, "%hu%c", ..) == 1`: a whole-string `unsigned short` (truncated modulo 2^16).
pub(crate) fn scan_u16(s: &[u8]) -> Option<u16> {
    scan_u64(s).map(|v| v as u16)
}

/// The value of one hex digit, as `hex_to_bin()`.
fn hex_digit(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// `hex2bin(dst, src, dst.len())`: decodes `2 * dst.len()` hex digits of `src` into `dst`.
///
/// Returns `false` on a non-hex digit (or a too-short `src`); `dst` may then be partly written.
pub(crate) fn hex2bin(dst: &mut [u8], src: &[u8]) -> bool {
    if src.len() < 2 * dst.len() {
        return false;
    }
    for (i, out) in dst.iter_mut().enumerate() {
        match (hex_digit(src[2 * i]), hex_digit(src[2 * i + 1])) {
            (Some(hi), Some(lo)) => *out = (hi << 4) | lo,
            _ => return false,
        }
    }
    true
}

/// Case-insensitive ASCII comparison, as `strcasecmp() == 0`.
pub(crate) fn eq_ignore_case(a: &[u8], b: &[u8]) -> bool {
    a.eq_ignore_ascii_case(b)
}
