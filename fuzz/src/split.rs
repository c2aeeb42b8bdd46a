// SPDX-License-Identifier: GPL-2.0

//! What dm core does to a table line before the target sees it.

/// `isspace()` of the kernel's `ctype` (`lib/ctype.c`): `\t` to `\r`, space, and 0xa0
/// (Latin-1 no-break space).
pub fn kernel_isspace(c: u8) -> bool {
    matches!(c, b'\t'..=b'\r' | b' ' | 0xa0)
}

/// `dm_split_args()` on the C string `input` (up to its first NUL): arguments separated by
/// white space, a backslash quoting the next character. No argument is empty or holds a NUL.
pub fn dm_split_args(input: &[u8]) -> Vec<Vec<u8>> {
    let end = input.iter().position(|&c| c == 0).unwrap_or(input.len());
    let s = &input[..end];
    let mut args = Vec::new();
    let mut i = 0;
    loop {
        while i < s.len() && kernel_isspace(s[i]) {
            i += 1;
        }
        if i == s.len() {
            break;
        }
        let mut out = Vec::new();
        while i < s.len() {
            if s[i] == b'\\' && i + 1 < s.len() {
                out.push(s[i + 1]);
                i += 2;
                continue;
            }
            if kernel_isspace(s[i]) {
                break;
            }
            out.push(s[i]);
            i += 1;
        }
        // The white space that ended the argument.
        if i < s.len() {
            i += 1;
        }
        args.push(out);
    }
    args
}

/// The target length (512-byte sectors) assumed when the input is only the target's
/// parameters.
pub const DEFAULT_LEN: u64 = 8;

/// Splits a fuzz input into the target length and the target's arguments. The input is either
/// a whole table line `<start> <len> crypt <args>...` (as `dmsetup` takes it) or just the
/// arguments; dm core refuses a target of length zero, so that is taken as 1.
pub fn table_line(input: &[u8]) -> (u64, Vec<Vec<u8>>) {
    let mut args = dm_split_args(input);
    let number = |a: &[u8]| {
        core::str::from_utf8(a)
            .ok()
            .and_then(|s| s.parse::<u64>().ok())
    };
    if args.len() >= 3 && args[2] == b"crypt" && number(&args[0]).is_some() {
        if let Some(len) = number(&args[1]) {
            args.drain(..3);
            return (len.max(1), args);
        }
    }
    (DEFAULT_LEN, args)
}
