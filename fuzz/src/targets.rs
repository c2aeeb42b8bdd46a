// SPDX-License-Identifier: GPL-2.0

//! The fuzz targets' bodies (the binaries in `fuzz_targets/` only call these).

use crate::{
    driver,
    env::Outcome,
    scan, split,
    table::{
        self,
        ErrorKind, //
    },
    upstream,
};
use core::fmt::Write;

/// The arguments as one table line (a backslash before white space and backslashes, other
/// bytes that are not printable ASCII as `\xNN`).
pub fn show(args: &[Vec<u8>], len: u64) -> String {
    let mut s = format!("0 {len} crypt");
    for a in args {
        s.push(' ');
        for &c in a {
            match c {
                b'\\' | b' ' => {
                    s.push('\\');
                    s.push(c as char);
                }
                0x21..=0x7e => s.push(c as char),
                _ => write!(s, "\\x{c:02x}").unwrap(),
            }
        }
    }
    s
}

/// `table`: one table line through the driver's constructor and the model of the C target.
pub fn fuzz_table(data: &[u8]) {
    let (len, args) = split::table_line(data);
    let rs = driver::construct(&args, len);
    let up = upstream::construct(&args, len);
    match &up {
        Outcome::Crash(why) => assert!(
            matches!(rs, Outcome::Err(_)),
            "the C target crashes here ({why}), and the driver accepts: {}\n  driver: {rs:?}",
            show(&args, len)
        ),
        _ => assert!(
            rs == up,
            "the driver and the C target differ on: {}\n  driver: {rs:?}\n  C:      {up:?}",
            show(&args, len)
        ),
    }
    raw(data, len);
}

/// The parser's entry points on arbitrary tokens: empty ones and NUL bytes too, which dm core
/// never passes. Nothing may panic, and every result must hold its invariants.
fn raw(data: &[u8], len: u64) {
    let toks: Vec<&[u8]> = data.split(|&c| c == b' ').take(16).collect();
    for &t in &toks {
        if let Ok((n, form)) = table::key_size(t) {
            driver::check_key_size(t, n, form);
        }
        for aead in [false, true] {
            let mut mac = |m: Option<&[u8]>| match m {
                Some(m) if m.len() % 2 == 0 => Ok(()),
                _ => Err(ErrorKind::NoEnt),
            };
            if let Ok(spec) = table::parse_cipher(t, aead, &mut mac) {
                driver::check_cipher(t, aead, &spec);
            }
        }
        for ss in [512, 1024, 2048, 4096] {
            if let Ok(v) = table::parse_iv_offset(t, ss) {
                assert_eq!(
                    v % u64::from(ss / 512),
                    0,
                    "iv_offset {v} for sector size {ss}"
                );
            }
        }
        let _ = table::parse_start(t);
    }
    for skip in 0..toks.len().min(3) {
        if let Ok(f) = table::parse_features(&toks[skip..], len) {
            driver::check_features(&toks[skip..], len, &f);
        }
    }
}

/// The keywords the parser compares case-insensitively.
const KEYWORDS: [&[u8]; 9] = [
    b"allow_discards",
    b"same_cpu_crypt",
    b"high_priority",
    b"submit_from_crypt_cpus",
    b"no_read_workqueue",
    b"no_write_workqueue",
    b"iv_large_sectors",
    b"aead",
    b"none",
];

/// `scan`: the `sscanf`-compatible scanners against the kernel's semantics.
pub fn fuzz_scan(data: &[u8]) {
    // Any bytes, NULs included: no panic.
    let _ = (
        scan::scan_u64_prefix(data),
        scan::scan_u32(data),
        scan::scan_u16(data),
    );
    let s = &data[..data.iter().position(|&c| c == 0).unwrap_or(data.len())];
    let v = s.escape_ascii();
    assert_eq!(
        scan::scan_u64_prefix(s),
        upstream::strtoull(s),
        "%llu prefix of \"{v}\""
    );
    assert_eq!(
        scan::scan_u64(s),
        upstream::scan_whole(s, 64),
        "%llu of \"{v}\""
    );
    assert_eq!(
        scan::scan_u32(s).map(u64::from),
        upstream::scan_whole(s, 32),
        "%u of \"{v}\""
    );
    assert_eq!(
        scan::scan_u16(s).map(u64::from),
        upstream::scan_whole(s, 16),
        "%hu of \"{v}\""
    );
    for kw in KEYWORDS {
        assert_eq!(
            scan::eq_ignore_case(s, kw),
            upstream::strcaseeq(s, kw),
            "strcasecmp(\"{v}\", {:?})",
            kw.escape_ascii().to_string()
        );
    }
    // hex2bin: the first byte is the key length.
    if let Some((&n, src)) = data.split_first() {
        let n = usize::from(n) % 48;
        let mut any = vec![0u8; n];
        let _ = scan::hex2bin(&mut any, src);
        let c = &src[..src.iter().position(|&c| c == 0).unwrap_or(src.len())];
        let (mut a, mut b) = (vec![0u8; n], vec![0u8; n]);
        let (ra, rb) = (scan::hex2bin(&mut a, c), upstream::hex2bin(&mut b, c));
        let v = c.escape_ascii();
        assert_eq!(ra, rb, "hex2bin of {n} bytes from \"{v}\"");
        if ra {
            assert_eq!(a, b, "hex2bin of {n} bytes from \"{v}\"");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::Errno;

    fn seeds(dir: &str) -> Vec<(String, Vec<u8>)> {
        let dir = format!("{}/seeds/{dir}", env!("CARGO_MANIFEST_DIR"));
        let mut v: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| {
                let p = e.unwrap().path();
                (p.display().to_string(), std::fs::read(&p).unwrap())
            })
            .collect();
        v.sort();
        v
    }

    #[test]
    fn table_seeds() {
        let seeds = seeds("table");
        assert!(seeds.len() >= 100);
        let mut accepted = 0;
        for (name, data) in &seeds {
            eprintln!("{name}");
            fuzz_table(data);
            let (len, args) = split::table_line(data);
            accepted += usize::from(matches!(driver::construct(&args, len), Outcome::Ok(_)));
        }
        assert!(accepted >= 20, "only {accepted} seeds are valid tables");
    }

    #[test]
    fn scan_seeds() {
        for (name, data) in seeds("scan") {
            eprintln!("{name}");
            fuzz_scan(&data);
        }
    }

    fn ctr(line: &str) -> Outcome {
        let (len, args) = split::table_line(line.as_bytes());
        let rs = driver::construct(&args, len);
        assert_eq!(rs, upstream::construct(&args, len), "{line}");
        rs
    }

    fn err(line: &str) -> String {
        match ctr(line) {
            Outcome::Err(f) => f.msg,
            o => panic!("{line}: {o:?}"),
        }
    }

    const K64: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn model_agrees_on_known_tables() {
        let Outcome::Ok(c) = ctr(&format!("0 8 crypt aes-xts-plain64 {K64} 0 /dev/vda 0")) else {
            panic!()
        };
        assert_eq!(c.api.0, b"xts(aes)");
        assert_eq!((c.iv_size, c.subkey_size, c.tfm_keys.len()), (16, 32, 1));
        let line = format!(
            "0 8 crypt capi:authenc(hmac(sha256),cbc(aes))-random {K64}{K64} 0 /dev/vda 0 \
             1 integrity:48:aead"
        );
        let Outcome::Ok(c) = ctr(&line) else { panic!() };
        assert_eq!((c.key_mac_size, c.tfm_keys[0].0.len()), (32, 64 + 8));
        assert_eq!(
            err(&format!(
                "0 7 crypt aes-xts-plain64 {K64} 0 /dev/vda 0 1 sector_size:4096"
            )),
            "Device size is not multiple of sector_size feature"
        );
        assert_eq!(
            err("0 8 crypt aes-cbc-tcw 00 0 /dev/vda 0"),
            "Error decoding and setting key"
        );
        // A keyring key: never readable in the model.
        let Outcome::Err(f) = ctr("0 8 crypt aes-xts-plain64 :32:logon:a 0 /dev/vda 0") else {
            panic!()
        };
        assert_eq!(f.errno, Errno::Key);
    }

    #[test]
    fn upstream_crashes_are_refused() {
        for line in [
            format!("0 8 crypt aes-xts-plain64 {K64} 0 /dev/vda 0 1 integrity:32"),
            "0 8 crypt capi:authenc(hmac(sha256),cbc(aes))-tcw 0011 0 /dev/vda 0 \
             1 integrity:48:aead"
                .to_owned(),
        ] {
            let (len, args) = split::table_line(line.as_bytes());
            assert!(
                matches!(upstream::construct(&args, len), Outcome::Crash(_)),
                "{line}"
            );
            fuzz_table(line.as_bytes());
        }
    }

    /// The divergences the fuzzer found (see `upstream`), fixed in the driver: the kernel's
    /// result on both sides, and the table target passes them.
    #[test]
    fn fixed_divergences() {
        let cases: [(String, fn(&Outcome) -> bool); 3] = [
            // D1: 0xa0 is white space before a number.
            (
                format!("0 8 crypt aes-xts-plain64 {K64} \\\u{a0}8 /dev/vda 0"),
                |o| matches!(o, Outcome::Ok(c) if c.iv_offset == 8),
            ),
            // D2: the feature count saturates at 0xffffffff, it does not wrap to 0.
            (
                format!("0 8 crypt aes-xts-plain64 {K64} 0 /dev/vda 0 18446744073709551616"),
                |o| matches!(o, Outcome::Err(f) if f.msg == "Invalid number of feature args"),
            ),
            // D3: a later `integrity:<n>:none` keeps the AEAD mode.
            (
                format!(
                    "0 8 crypt capi:gcm(aes)-random {K64} 0 /dev/vda 0 2 integrity:28:aead \
                     integrity:28:none"
                ),
                |o| matches!(o, Outcome::Ok(c) if c.aead),
            ),
        ];
        for (line, kernel) in cases {
            // The 0xa0 byte, not its UTF-8 encoding.
            let bytes: Vec<u8> = line
                .chars()
                .map(|c| u8::try_from(u32::from(c)).unwrap())
                .collect();
            let (len, args) = split::table_line(&bytes);
            let up = upstream::construct(&args, len);
            assert!(kernel(&up), "{line}: {up:?}");
            assert_eq!(driver::construct(&args, len), up, "{line}");
            fuzz_table(&bytes);
        }
    }
}
