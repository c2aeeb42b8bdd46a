// SPDX-License-Identifier: GPL-2.0

//! A model of the C target's constructor (`crypt_ctr()` of the 7.3 kernel's
//! `drivers/md/dm-crypt.c`), written from the C code and not from the driver, as far as its
//! pure stages go, with the kernel's `sscanf` (`lib/vsprintf.c`, `lib/kstrtox.c`), `isspace`
//! and `strcasecmp` (`lib/ctype.c`, `lib/string.c`).
//!
//! The model is exact for the three divergences the fuzzer found in the driver, which were
//! fixed in the driver on 2026-11-28 (`fuzz/seeds/table/div-*` keep them as regression
//! seeds):
//!
//! - D1: the kernel's `isspace()` includes 0xa0, so `sscanf` skips an escaped 0xa0 before a
//!   number (`\<0xa0>8` is the iv_offset 8); `src/crypt/scan.rs` did not.
//! - D2: the 7.3 kernel's `simple_strntoull()` saturates at `ULLONG_MAX` on overflow
//!   (`_parse_integer_limit()`), it does not wrap modulo 2^64 as `src/crypt/scan.rs` did, so
//!   `18446744073709551616` is `ULLONG_MAX` (and 0xffffffff as `%u`), not 0.
//! - D3: `integrity:<n>:aead` sets `CRYPT_MODE_INTEGRITY_AEAD` for good: a later
//!   `integrity:<n>:none` does not clear it; in the driver the last option won.

use crate::{
    env::{
        self,
        Alg,
        Blob,
        Ctr,
        Errno,
        Fail,
        Outcome, //
    },
    split::kernel_isspace,
};

/// `MAX_TAG_SIZE`.
const MAX_TAG_SIZE: u64 = 480;
/// `ELEPHANT_MAX_KEY_SIZE`.
const ELEPHANT_MAX_KEY_SIZE: u32 = 32;
/// `TCW_WHITENING_SIZE`.
const TCW_WHITENING_SIZE: u32 = 16;

/// `isspace()` as `sscanf` uses it (D1).
pub fn isspace(c: u8) -> bool {
    kernel_isspace(c)
}

/// `tolower()` of the kernel's Latin-1 `ctype`.
pub fn tolower(c: u8) -> u8 {
    if c.is_ascii_uppercase() || ((0xc0..=0xde).contains(&c) && c != 0xd7) {
        c + 32
    } else {
        c
    }
}

/// `strcasecmp(a, b) == 0`.
pub fn strcaseeq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(&x, &y)| tolower(x) == tolower(y))
}

/// `skip_spaces()` then `simple_strntoull(.., 10, ..)` as `vsscanf` runs them for `%u`: the
/// value and the rest, or `None` when no digit follows the white space (D2).
pub fn strtoull(s: &[u8]) -> Option<(u64, &[u8])> {
    let start = s.iter().position(|&c| !isspace(c)).unwrap_or(s.len());
    let s = &s[start..];
    if !s.first()?.is_ascii_digit() {
        return None;
    }
    let mut v = 0u64;
    let mut i = 0;
    while i < s.len() && s[i].is_ascii_digit() {
        let d = u64::from(s[i] - b'0');
        v = v
            .checked_mul(10)
            .and_then(|v| v.checked_add(d))
            .unwrap_or(u64::MAX);
        i += 1;
    }
    Some((v, &s[i..]))
}

/// The result of `sscanf(s, "%<width>u%c", &v, &c)`: conversions, `v` truncated to `bits`,
/// and `c`.
pub fn sscanf_uc(s: &[u8], bits: u32) -> (u32, u64, Option<u8>) {
    match strtoull(s) {
        None => (0, 0, None),
        Some((v, rest)) => {
            let v = if bits == 64 { v } else { v & ((1 << bits) - 1) };
            match rest.first() {
                None => (1, v, None),
                Some(&c) => (2, v, Some(c)),
            }
        }
    }
}

/// `sscanf(s, "%<width>u%c", ..) == 1`.
pub fn scan_whole(s: &[u8], bits: u32) -> Option<u64> {
    match sscanf_uc(s, bits) {
        (1, v, _) => Some(v),
        _ => None,
    }
}

/// `hex_to_bin()`.
fn hex_to_bin(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

/// `hex2bin(dst, src, dst.len()) == 0` on the C string `src`; `dst` is written as the kernel
/// writes it.
pub fn hex2bin(dst: &mut [u8], src: &[u8]) -> bool {
    let at = |i: usize| src.get(i).copied().unwrap_or(0);
    for (i, out) in dst.iter_mut().enumerate() {
        let Some(hi) = hex_to_bin(at(2 * i)) else {
            return false;
        };
        let Some(lo) = hex_to_bin(at(2 * i + 1)) else {
            return false;
        };
        *out = (hi << 4) | lo;
    }
    true
}

/// `strsep(&s, sep)` with `s` possibly NULL.
fn strsep(s: Option<&[u8]>, sep: u8) -> (Option<&[u8]>, Option<&[u8]>) {
    match s {
        None => (None, None),
        Some(s) => match s.iter().position(|&c| c == sep) {
            Some(i) => (Some(&s[..i]), Some(&s[i + 1..])),
            None => (Some(s), None),
        },
    }
}

/// `strrchr()` splitting: `(before, after)`.
fn strrchr_split(s: &[u8], sep: u8) -> (&[u8], Option<&[u8]>) {
    match s.iter().rposition(|&c| c == sep) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    }
}

type Res<T> = Result<T, Outcome>;

fn fail(msg: &str, errno: Errno) -> Outcome {
    Outcome::Err(Fail::new(msg, errno))
}

fn inval(msg: &str) -> Outcome {
    fail(msg, Errno::Inval)
}

/// The state of `struct crypt_config` the model follows.
#[derive(Default)]
struct Cc {
    ctr: Ctr,
    alg: Option<Alg>,
}

/// `get_key_size()` (with `CONFIG_KEYS`).
fn get_key_size(key: &[u8]) -> Option<u32> {
    if key.first() != Some(&b':') {
        return Some((key.len() >> 1) as u32);
    }
    let rest = &key[1..];
    if !rest.contains(&b':') {
        return None;
    }
    match sscanf_uc(rest, 32) {
        // `ret` is an `int`.
        (2, v, Some(b':')) if v as u32 as i32 >= 0 => Some(v as u32),
        _ => None,
    }
}

/// `crypt_ctr_optional()`.
fn ctr_optional(cc: &mut Cc, argv: &[Vec<u8>], target_len: u64) -> Res<()> {
    // `dm_read_arg_group(&{0, 9, ..})`.
    let count = match sscanf_uc(&argv[0], 32) {
        (1, v, _) if v <= 9 && (v as usize) < argv.len() => v as usize,
        _ => return Err(inval("Invalid number of feature args")),
    };
    let c = &mut cc.ctr;
    for opt in &argv[1..=count] {
        let opt = &opt[..];
        let integrity = opt.strip_prefix(b"integrity:").and_then(strtoull);
        if strcaseeq(opt, b"allow_discards") {
            c.allow_discards = true;
        } else if strcaseeq(opt, b"same_cpu_crypt") {
            c.same_cpu_crypt = true;
        } else if strcaseeq(opt, b"high_priority") {
            c.high_priority = true;
        } else if strcaseeq(opt, b"submit_from_crypt_cpus") {
            c.submit_from_crypt_cpus = true;
        } else if strcaseeq(opt, b"no_read_workqueue") {
            c.no_read_workqueue = true;
        } else if strcaseeq(opt, b"no_write_workqueue") {
            c.no_write_workqueue = true;
        } else if let Some((val, _)) = integrity {
            let val = val as u32;
            if val == 0 || u64::from(val) > MAX_TAG_SIZE {
                return Err(inval("Invalid integrity arguments"));
            }
            c.tag_size = val;
            // `strchr(opt_string + strlen("integrity:"), ':') + 1`, unchecked.
            let after = &opt[b"integrity:".len()..];
            let Some(colon) = after.iter().position(|&b| b == b':') else {
                return Err(Outcome::Crash(
                    "integrity:<n> without a second colon: strchr() returns NULL, dereferenced",
                ));
            };
            let sval = &after[colon + 1..];
            if strcaseeq(sval, b"aead") {
                c.aead = true;
            } else if !strcaseeq(sval, b"none") {
                return Err(inval("Unknown integrity profile"));
            }
            // D3: `none` leaves an earlier `aead` in place.
            c.cipher_auth = Some(Blob::from(sval));
        } else if let (1, v, _) = opt
            .strip_prefix(b"integrity_key_size:")
            .map_or((0, 0, None), |s| sscanf_uc(s, 32))
        {
            if v == 0 {
                return Err(inval("Invalid integrity_key_size argument"));
            }
            c.integrity_key_size = Some(v as u32);
            c.key_mac_size = v as u32;
        } else if let (1, v, _) = opt
            .strip_prefix(b"sector_size:")
            .map_or((0, 0, None), |s| sscanf_uc(s, 16))
        {
            let v = v as u32;
            if !(512..=4096).contains(&v) || v & (v - 1) != 0 {
                return Err(inval("Invalid feature value for sector_size"));
            }
            if target_len & u64::from((v >> 9) - 1) != 0 {
                return Err(inval("Device size is not multiple of sector_size feature"));
            }
            c.sector_size = v;
        } else if strcaseeq(opt, b"iv_large_sectors") {
            c.iv_large_sectors = true;
        } else {
            return Err(inval("Invalid feature arguments"));
        }
    }
    Ok(())
}

/// `crypt_alloc_tfms()` and the IV size.
fn alloc_tfms(cc: &mut Cc, name: &[u8]) -> Res<()> {
    let count = if cc.ctr.aead { 1 } else { cc.ctr.tfms_count };
    let alg = env::alloc_tfms(name, count, cc.ctr.aead)
        .map_err(|e| fail("Error allocating crypto tfm", e))?;
    cc.ctr.api = Blob::from(name);
    cc.alg = Some(alg);
    Ok(())
}

/// `crypt_ctr_cipher_new()`.
fn ctr_cipher_new<'a>(cc: &mut Cc, cipher_in: &'a [u8]) -> Res<Option<&'a [u8]>> {
    cc.ctr.tfms_count = 1;
    let tmp = &cipher_in[b"capi:".len()..];
    let (tmp, ivopts) = strrchr_split(tmp, b':');
    let (cipher_api, ivmode) = strrchr_split(tmp, b'-');
    cc.ctr.ivopts = ivopts.map(Blob::from);

    if cc.ctr.aead && cipher_api.starts_with(b"authenc(") {
        // `crypt_ctr_auth_cipher()`.
        let start = cipher_api.iter().position(|&c| c == b'(').map(|i| i + 1);
        let end = cipher_api.iter().position(|&c| c == b',');
        let mac = match (start, end) {
            (Some(s), Some(e)) if s <= e => Some(&cipher_api[s..e]),
            _ => None,
        };
        let digest = env::mac(mac).map_err(|e| fail("Invalid AEAD cipher spec", e))?;
        if cc.ctr.integrity_key_size.is_none() {
            cc.ctr.key_mac_size = digest;
        }
    }

    if ivmode == Some(b"lmk") {
        if cc.ctr.aead {
            return Err(inval("AEAD transforms not supported for LMK"));
        }
        cc.ctr.tfms_count = 64;
    }

    let name = if ivmode == Some(b"essiv") {
        let Some(ivopts) = ivopts else {
            return Err(inval("Digest algorithm missing for ESSIV mode"));
        };
        let buf = [b"essiv(", cipher_api, b",", ivopts, b")"].concat();
        if buf.len() >= 128 {
            return Err(fail("Cannot allocate cipher string", Errno::NoMem));
        }
        buf
    } else {
        cipher_api.to_vec()
    };
    cc.ctr.key_parts = cc.ctr.tfms_count;
    alloc_tfms(cc, &name)?;
    Ok(ivmode)
}

/// `crypt_ctr_cipher_old()`.
fn ctr_cipher_old<'a>(cc: &mut Cc, cipher_in: &'a [u8]) -> Res<Option<&'a [u8]>> {
    if cipher_in.contains(&b'(') || cc.ctr.aead {
        return Err(inval("Bad cipher specification"));
    }
    let (keycount, tmp) = strsep(Some(cipher_in), b'-');
    let (cipher, keycount) = strsep(keycount, b':');
    let cipher = cipher.unwrap_or_default();
    cc.ctr.tfms_count = match keycount {
        None => 1,
        Some(k) => match sscanf_uc(k, 32) {
            (1, v, _) if (v as u32).is_power_of_two() => v as u32,
            _ => return Err(inval("Bad cipher key count specification")),
        },
    };
    cc.ctr.key_parts = cc.ctr.tfms_count;

    let (mut chainmode, tmp) = strsep(tmp, b'-');
    let (mut ivmode, tmp) = strsep(tmp, b':');
    let ivopts = tmp;
    cc.ctr.ivopts = ivopts.map(Blob::from);

    if chainmode.is_none() || (chainmode == Some(b"plain") && ivmode.is_none()) {
        chainmode = Some(b"cbc");
        ivmode = Some(b"plain");
    }
    let chainmode = chainmode.unwrap_or_default();
    if chainmode != b"ecb" && ivmode.is_none() {
        return Err(inval("IV mechanism required"));
    }
    let name = if ivmode == Some(b"essiv") {
        let Some(ivopts) = ivopts else {
            return Err(inval("Digest algorithm missing for ESSIV mode"));
        };
        [b"essiv(", chainmode, b"(", cipher, b"),", ivopts, b")"].concat()
    } else {
        [chainmode, b"(", cipher, b")"].concat()
    };
    if name.len() >= 128 {
        return Err(fail("Cannot allocate cipher strings", Errno::NoMem));
    }
    alloc_tfms(cc, &name)?;
    Ok(ivmode)
}

/// `crypt_ctr_ivmode()`.
fn ctr_ivmode(cc: &mut Cc, mut ivmode: Option<&[u8]>) -> Res<()> {
    let c = &mut cc.ctr;
    c.iv_size = cc.alg.as_ref().map_or(0, |a| a.iv_size);
    if c.iv_size > 0 {
        c.iv_size = c.iv_size.max(8);
    } else {
        // "Selected cipher does not support IVs".
        ivmode = None;
    }
    let Some(ivmode) = ivmode else {
        c.iv_gen = None;
        return Ok(());
    };
    c.iv_gen = Some(match ivmode {
        b"plain" => "plain",
        b"plain64" => "plain64",
        b"plain64be" => "plain64be",
        b"essiv" => "essiv",
        b"benbi" => "benbi",
        b"null" => "null",
        b"eboiv" => "eboiv",
        b"elephant" => {
            c.key_parts = 2;
            c.key_extra_size = c.key_size / 2;
            if c.key_extra_size > ELEPHANT_MAX_KEY_SIZE {
                // No `ti->error` of its own.
                return Err(inval("Unknown error"));
            }
            "elephant"
        }
        b"lmk" => {
            if c.key_size % c.key_parts != 0 {
                c.key_parts += 1;
                c.key_extra_size = c.key_size / c.key_parts;
            }
            "lmk"
        }
        b"tcw" => {
            c.key_parts += 2;
            c.key_extra_size = c.iv_size + TCW_WHITENING_SIZE;
            "tcw"
        }
        b"random" => {
            c.integrity_iv_size = c.iv_size;
            "random"
        }
        _ => return Err(inval("Invalid IV mode")),
    });
    Ok(())
}

/// `crypt_copy_authenckey()`.
fn copy_authenckey(key: &[u8], enckeylen: usize, authkeylen: usize) -> Vec<u8> {
    let mut p = Vec::with_capacity(8 + enckeylen + authkeylen);
    p.extend_from_slice(&8u16.to_ne_bytes());
    p.extend_from_slice(&1u16.to_ne_bytes());
    p.extend_from_slice(&(enckeylen as u32).to_be_bytes());
    p.extend_from_slice(&key[enckeylen..enckeylen + authkeylen]);
    p.extend_from_slice(&key[..enckeylen]);
    p
}

/// How `crypt_setkey()` ends.
enum SetKey {
    Done(Result<(), Errno>),
    /// The C target reads or writes out of bounds: why.
    Crash(&'static str),
}

/// `crypt_setkey()`.
fn setkey(cc: &mut Cc, key: &[u8]) -> SetKey {
    let c = &mut cc.ctr;
    let Some(alg) = &cc.alg else {
        return SetKey::Done(Err(Errno::Inval));
    };
    let subkey = c.key_size.wrapping_sub(c.key_extra_size) >> c.tfms_count.trailing_zeros();
    c.subkey_size = subkey;
    let hmac = c.aead && c.key_mac_size > 0;
    let count = if c.aead { 1 } else { c.tfms_count };
    let mut keys = Vec::new();
    let mut err = Ok(());
    if hmac {
        if subkey < c.key_mac_size {
            return SetKey::Done(Err(Errno::Inval));
        }
        if subkey > c.key_size {
            // `cc->authenc_key` was sized with the whole key, before the IV mode reserved
            // its part; `crypt_subkey_size()` wrapped below zero.
            return SetKey::Crash(
                "crypt_setkey(): crypt_copy_authenckey() with a wrapped crypt_subkey_size() \
                 overflows cc->authenc_key",
            );
        }
        let blob = copy_authenckey(
            key,
            (subkey - c.key_mac_size) as usize,
            c.key_mac_size as usize,
        );
        err = env::setkey(alg, &blob);
        keys.push(Blob(blob));
    } else {
        for i in 0..count as usize {
            let from = i * subkey as usize;
            let Some(part) = key.get(from..from + subkey as usize) else {
                // `cc->key + i * subkey_size` and `subkey_size` go to the cipher unchecked:
                // harmless only if the cipher refuses that key size.
                if alg.keys.contains(&(subkey as usize)) {
                    return SetKey::Crash(
                        "crypt_setkey(): a key part past the end of cc->key given to the cipher",
                    );
                }
                err = Err(Errno::Inval);
                continue;
            };
            if let Err(e) = env::setkey(alg, part) {
                err = Err(e);
            }
            keys.push(Blob::from(part));
        }
    }
    c.tfm_keys = keys;
    SetKey::Done(err)
}

/// `crypt_set_key()`.
fn set_key(cc: &mut Cc, key: &[u8]) -> Res<()> {
    let err = |e| fail("Error decoding and setting key", e);
    if cc.ctr.key_size == 0 && key != b"-" {
        return Err(err(Errno::Inval));
    }
    if key.first() == Some(&b':') {
        return Err(err(Errno::Key));
    }
    let mut buf = vec![0u8; cc.ctr.key_size as usize];
    if !buf.is_empty() && !hex2bin(&mut buf, key) {
        return Err(err(Errno::Inval));
    }
    match setkey(cc, &buf) {
        SetKey::Done(r) => r.map_err(err),
        SetKey::Crash(why) => Err(Outcome::Crash(why)),
    }
}

/// `crypt_ctr()` up to the start sector, without the IV generator's constructor (kernel code
/// of the driver, not modelled on either side).
pub fn construct(argv: &[Vec<u8>], target_len: u64) -> Outcome {
    match construct_inner(argv, target_len) {
        Ok(ctr) => Outcome::Ok(Box::new(ctr)),
        Err(o) => o,
    }
}

fn construct_inner(argv: &[Vec<u8>], target_len: u64) -> Res<Ctr> {
    if argv.len() < 5 {
        return Err(inval("Not enough arguments"));
    }
    // `get_key_size()` moves `argv[1]` to the keyring spec's colon.
    let key_size = get_key_size(&argv[1]).ok_or_else(|| inval("Cannot parse key size"))?;
    let key_arg: &[u8] = if argv[1].first() == Some(&b':') {
        let colon = argv[1][1..].iter().position(|&c| c == b':').unwrap_or(0) + 1;
        &argv[1][colon..]
    } else {
        &argv[1]
    };
    if !env::key_alloc(key_size as usize) {
        return Err(fail("Cannot allocate encryption context", Errno::NoMem));
    }
    let mut cc = Cc::default();
    cc.ctr.key_size = key_size;
    cc.ctr.sector_size = 512;

    if argv.len() > 5 {
        ctr_optional(&mut cc, &argv[5..], target_len)?;
    }

    // `crypt_ctr_cipher()`.
    let cipher_in = &argv[0][..];
    let ivmode = if cipher_in.starts_with(b"capi:") {
        ctr_cipher_new(&mut cc, cipher_in)?
    } else {
        ctr_cipher_old(&mut cc, cipher_in)?
    };
    cc.ctr.ivmode = ivmode.map(Blob::from);
    ctr_ivmode(&mut cc, ivmode)?;
    set_key(&mut cc, key_arg)?;

    let ss = cc.ctr.sector_size;
    cc.ctr.iv_offset = match scan_whole(&argv[2], 64) {
        Some(v) if v & u64::from((ss >> 9) - 1) == 0 => v,
        _ => return Err(inval("Invalid iv_offset sector")),
    };
    // `dm_get_device(argv[3])`: every device exists in the model.
    cc.ctr.start = scan_whole(&argv[4], 64).ok_or_else(|| inval("Invalid device sector"))?;
    Ok(cc.ctr)
}
