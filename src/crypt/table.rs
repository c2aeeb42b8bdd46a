// SPDX-License-Identifier: GPL-2.0

//! Parsing of the `crypt` table line, stage by stage, in the order `crypt_ctr` validates it.
//!
//! ```text
//! <cipher> <key> <iv_offset> <device> <offset> [<#opt_params> <opt_params>...]
//! ```
//!
//! The constructor interleaves these pure stages with kernel work (allocating transforms,
//! looking up the device), so that a table with several mistakes reports the same one as the
//! C target. Every error carries upstream's `ti->error` text. This module is pure logic and is
//! tested on the host.

use super::scan::{
    eq_ignore_case,
    scan_u16,
    scan_u32,
    scan_u64,
    scan_u64_prefix, //
};
use core::ffi::CStr;
use core::fmt;

/// `CRYPTO_MAX_ALG_NAME`: crypto API names are shorter than this, NUL included.
pub(crate) const CRYPTO_MAX_ALG_NAME: usize = 128;
/// `MAX_TAG_SIZE`: the largest integrity tag dm-crypt accepts.
pub(crate) const MAX_TAG_SIZE: u32 = 480;
/// `SECTOR_SHIFT`.
pub(crate) const SECTOR_SHIFT: u32 = 9;

/// The errno class of a table error.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum ErrorKind {
    /// `-EINVAL`.
    Inval,
    /// `-ENOMEM`.
    NoMem,
    /// `-ENOENT` (an algorithm the crypto API does not know).
    NoEnt,
}

/// A table error: the `ti->error` text and the errno class.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct TableError {
    /// The message, worded as the C target words it.
    pub(crate) msg: &'static CStr,
    /// The errno class.
    pub(crate) kind: ErrorKind,
}

impl TableError {
    const fn inval(msg: &'static CStr) -> Self {
        Self {
            msg,
            kind: ErrorKind::Inval,
        }
    }

    const fn nomem(msg: &'static CStr) -> Self {
        Self {
            msg,
            kind: ErrorKind::NoMem,
        }
    }
}

/// The `<key>` argument, classified as `get_key_size()` does.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum KeyArg<'a> {
    /// Hex digits (an odd trailing nibble is ignored), or `-` / a one-character string, which
    /// give a key size of zero.
    Hex(&'a [u8]),
    /// `:<key_size>:<type>:<description>`; holds `<type>:<description>`.
    Keyring(&'a [u8]),
}

/// The key size in bytes and the key form (`get_key_size()`).
pub(crate) fn key_size(key: &[u8]) -> Result<(usize, KeyArg<'_>), TableError> {
    const ERR: TableError = TableError::inval(c"Cannot parse key size");
    let Some(rest) = key.strip_prefix(b":") else {
        return Ok((key.len() >> 1, KeyArg::Hex(key)));
    };
    // `sscanf(key + 1, "%u%c", &ret, &dummy) == 2 && dummy == ':'`, with `ret` an `int`.
    let (size, after) = scan_u64_prefix(rest).ok_or(ERR)?;
    let desc = after.strip_prefix(b":").ok_or(ERR)?;
    let size = size as u32;
    if size > i32::MAX as u32 {
        return Err(ERR);
    }
    Ok((size as usize, KeyArg::Keyring(desc)))
}

/// The integrity profile of `integrity:<bytes>:<type>`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum IntegrityProfile {
    /// `aead`: authenticated encryption, the tag in the metadata.
    Aead,
    /// `none`: metadata only for an IV stored per sector.
    None,
}

/// `integrity:<bytes>:<type>`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct Integrity {
    /// The tag bytes per sector (`used_tag_size`).
    pub(crate) tag_size: u32,
    /// The profile.
    pub(crate) profile: IntegrityProfile,
    /// The type exactly as written (it is `aead` or `none` in any case), echoed by `status`.
    pub(crate) type_as_given: [u8; 4],
}

/// The optional parameters (`crypt_ctr_optional`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct FeatureArgs {
    /// `allow_discards`.
    pub(crate) allow_discards: bool,
    /// `same_cpu_crypt`.
    pub(crate) same_cpu_crypt: bool,
    /// `high_priority`.
    pub(crate) high_priority: bool,
    /// `submit_from_crypt_cpus`.
    pub(crate) submit_from_crypt_cpus: bool,
    /// `no_read_workqueue`.
    pub(crate) no_read_workqueue: bool,
    /// `no_write_workqueue`.
    pub(crate) no_write_workqueue: bool,
    /// `iv_large_sectors`.
    pub(crate) iv_large_sectors: bool,
    /// `integrity:<bytes>:<type>`.
    pub(crate) integrity: Option<Integrity>,
    /// `integrity_key_size:<bytes>`.
    pub(crate) integrity_key_size: Option<u32>,
    /// `sector_size:<bytes>` (512 when absent).
    pub(crate) sector_size: u32,
}

impl Default for FeatureArgs {
    fn default() -> Self {
        Self {
            allow_discards: false,
            same_cpu_crypt: false,
            high_priority: false,
            submit_from_crypt_cpus: false,
            no_read_workqueue: false,
            no_write_workqueue: false,
            iv_large_sectors: false,
            integrity: None,
            integrity_key_size: None,
            sector_size: 1 << SECTOR_SHIFT,
        }
    }
}

impl FeatureArgs {
    /// `sector_shift`: log2 of the sector size in 512-byte units.
    pub(crate) fn sector_shift(&self) -> u32 {
        self.sector_size.trailing_zeros() - SECTOR_SHIFT
    }

    /// Whether AEAD integrity is requested (`crypt_integrity_aead()`).
    pub(crate) fn integrity_aead(&self) -> bool {
        matches!(
            self.integrity,
            Some(Integrity {
                profile: IntegrityProfile::Aead,
                ..
            })
        )
    }
}

/// Parses the optional parameter group `[<#opt_params> <opt_params>...]` (the arguments after
/// the fifth). Arguments beyond the counted group are ignored, as upstream does.
pub(crate) fn parse_features(args: &[&[u8]], target_len: u64) -> Result<FeatureArgs, TableError> {
    let mut f = FeatureArgs::default();
    let Some((count, rest)) = args.split_first() else {
        return Ok(f);
    };
    // `dm_read_arg_group(&{0, 9, ..})`.
    let count = match scan_u32(count) {
        Some(n) if n <= 9 && n as usize <= rest.len() => n as usize,
        _ => return Err(TableError::inval(c"Invalid number of feature args")),
    };
    for &opt in &rest[..count] {
        if eq_ignore_case(opt, b"allow_discards") {
            f.allow_discards = true;
        } else if eq_ignore_case(opt, b"same_cpu_crypt") {
            f.same_cpu_crypt = true;
        } else if eq_ignore_case(opt, b"high_priority") {
            f.high_priority = true;
        } else if eq_ignore_case(opt, b"submit_from_crypt_cpus") {
            f.submit_from_crypt_cpus = true;
        } else if eq_ignore_case(opt, b"no_read_workqueue") {
            f.no_read_workqueue = true;
        } else if eq_ignore_case(opt, b"no_write_workqueue") {
            f.no_write_workqueue = true;
        } else if let Some(integrity) = parse_integrity(opt) {
            let mut integrity = integrity?;
            // Upstream sets the AEAD mode bit and never clears it: a later `integrity:<n>:none`
            // changes the tag size and the type shown, not the mode.
            if f.integrity_aead() {
                integrity.profile = IntegrityProfile::Aead;
            }
            f.integrity = Some(integrity);
        } else if let Some(v) = opt.strip_prefix(b"integrity_key_size:").and_then(scan_u32) {
            if v == 0 {
                return Err(TableError::inval(c"Invalid integrity_key_size argument"));
            }
            f.integrity_key_size = Some(v);
        } else if let Some(v) = opt.strip_prefix(b"sector_size:").and_then(scan_u16) {
            let v = u32::from(v);
            if !(512..=4096).contains(&v) || !v.is_power_of_two() {
                return Err(TableError::inval(c"Invalid feature value for sector_size"));
            }
            if target_len & u64::from((v >> SECTOR_SHIFT) - 1) != 0 {
                return Err(TableError::inval(
                    c"Device size is not multiple of sector_size feature",
                ));
            }
            f.sector_size = v;
        } else if eq_ignore_case(opt, b"iv_large_sectors") {
            f.iv_large_sectors = true;
        } else {
            return Err(TableError::inval(c"Invalid feature arguments"));
        }
    }
    Ok(f)
}

/// `integrity:<bytes>:<type>`: `None` if `opt` is not of that form (`sscanf(opt,
/// "integrity:%u:", &val) != 1`), else the parsed option or its error.
///
/// Upstream dereferences `strchr(..., ':') + 1` without a check, so `integrity:32` (no second
/// colon) crashes the C target; here it is refused as an unknown profile.
fn parse_integrity(opt: &[u8]) -> Option<Result<Integrity, TableError>> {
    let rest = opt.strip_prefix(b"integrity:")?;
    let (val, after) = scan_u64_prefix(rest)?;
    let val = val as u32;
    if val == 0 || val > MAX_TAG_SIZE {
        return Some(Err(TableError::inval(c"Invalid integrity arguments")));
    }
    let unknown = TableError::inval(c"Unknown integrity profile");
    let Some(colon) = after.iter().position(|&c| c == b':') else {
        return Some(Err(unknown));
    };
    let ty = &after[colon + 1..];
    let profile = if eq_ignore_case(ty, b"aead") {
        IntegrityProfile::Aead
    } else if eq_ignore_case(ty, b"none") {
        IntegrityProfile::None
    } else {
        return Some(Err(unknown));
    };
    let mut type_as_given = [0u8; 4];
    type_as_given.copy_from_slice(ty);
    Some(Ok(Integrity {
        tag_size: val,
        profile,
        type_as_given,
    }))
}

/// A crypto API algorithm name, NUL-terminated, shorter than [`CRYPTO_MAX_ALG_NAME`].
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct AlgName {
    buf: [u8; CRYPTO_MAX_ALG_NAME],
    len: usize,
}

impl AlgName {
    fn empty() -> Self {
        Self {
            buf: [0; CRYPTO_MAX_ALG_NAME],
            len: 0,
        }
    }

    /// Concatenates `parts` into a name; `None` if it would not fit (`snprintf(...) >=
    /// CRYPTO_MAX_ALG_NAME`) or holds a NUL.
    fn concat(parts: &[&[u8]]) -> Option<Self> {
        let mut name = Self::empty();
        for part in parts {
            if name.len + part.len() >= CRYPTO_MAX_ALG_NAME || part.contains(&0) {
                return None;
            }
            name.buf[name.len..name.len + part.len()].copy_from_slice(part);
            name.len += part.len();
        }
        Some(name)
    }

    /// The name without the NUL.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    /// The name as a C string.
    pub(crate) fn as_c_str(&self) -> &CStr {
        // The buffer is zero-filled past `len < CRYPTO_MAX_ALG_NAME`, and `concat` refuses NUL
        // bytes, so the first NUL terminates the name.
        CStr::from_bytes_until_nul(&self.buf).unwrap_or(c"")
    }
}

impl fmt::Debug for AlgName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", Bytes(self.as_bytes()))
    }
}

/// Bytes displayed as text (non-UTF-8 replaced), for names and messages.
pub(crate) struct Bytes<'a>(pub(crate) &'a [u8]);

impl fmt::Display for Bytes<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for chunk in self.0.utf8_chunks() {
            f.write_str(chunk.valid())?;
            if !chunk.invalid().is_empty() {
                f.write_str("\u{fffd}")?;
            }
        }
        Ok(())
    }
}

impl fmt::Debug for Bytes<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{self}\"")
    }
}

/// The cipher argument, parsed (`crypt_ctr_cipher_old` / `crypt_ctr_cipher_new`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct CipherSpec<'a> {
    /// The crypto API name to allocate (wrapped in `essiv(...)` for that IV mode).
    pub(crate) api: AlgName,
    /// The IV mode, if any.
    pub(crate) ivmode: Option<&'a [u8]>,
    /// The IV options (after the IV mode's colon), if any.
    pub(crate) ivopts: Option<&'a [u8]>,
    /// How many transforms (`tfms_count`): the legacy key count, 64 for `lmk`, else 1.
    pub(crate) tfms_count: u32,
    /// Whether the `capi:` grammar was used.
    pub(crate) capi: bool,
}

/// Splits at the first `sep` as `strsep()` does: `(token, rest)`, rest `None` without `sep`.
fn strsep(s: &[u8], sep: u8) -> (&[u8], Option<&[u8]>) {
    match s.iter().position(|&c| c == sep) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    }
}

/// Splits at the last `sep` as `strrchr()` does: `(before, Some(after))`.
fn split_last(s: &[u8], sep: u8) -> (&[u8], Option<&[u8]>) {
    match s.iter().rposition(|&c| c == sep) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    }
}

/// Checks the MAC algorithm of an AEAD `authenc(<mac>,...)` spec (`None`: malformed spec).
pub(crate) type AuthMacCheck<'f> = dyn FnMut(Option<&[u8]>) -> Result<(), ErrorKind> + 'f;

/// Parses the cipher argument.
///
/// `aead` is whether `integrity:<n>:aead` was given. For an AEAD `capi:authenc(<mac>,...)` spec,
/// `auth_mac` is called with `<mac>` (or `None` when the spec is malformed) before anything
/// else is checked, as `crypt_ctr_auth_cipher()` runs first upstream; its error is reported as
/// "Invalid AEAD cipher spec".
pub(crate) fn parse_cipher<'a>(
    cipher: &'a [u8],
    aead: bool,
    auth_mac: &mut AuthMacCheck<'_>,
) -> Result<CipherSpec<'a>, TableError> {
    match cipher.strip_prefix(b"capi:") {
        Some(spec) => parse_cipher_capi(spec, aead, auth_mac),
        None => parse_cipher_legacy(cipher, aead),
    }
}

fn parse_cipher_capi<'a>(
    spec: &'a [u8],
    aead: bool,
    auth_mac: &mut AuthMacCheck<'_>,
) -> Result<CipherSpec<'a>, TableError> {
    let (rest, ivopts) = split_last(spec, b':');
    let (api, ivmode) = split_last(rest, b'-');

    if aead && api.starts_with(b"authenc(") {
        // `start = strchr(api, '(') + 1`, `end = strchr(api, ',')`, `start <= end`.
        let start = b"authenc(".len();
        let mac = api
            .iter()
            .position(|&c| c == b',')
            .filter(|&end| end >= start)
            .map(|end| &api[start..end]);
        auth_mac(mac).map_err(|kind| TableError {
            msg: c"Invalid AEAD cipher spec",
            kind,
        })?;
    }

    let mut tfms_count = 1;
    if ivmode == Some(b"lmk") {
        if aead {
            return Err(TableError::inval(c"AEAD transforms not supported for LMK"));
        }
        tfms_count = 64;
    }

    let name = if ivmode == Some(b"essiv") {
        let ivopts = ivopts.ok_or(TableError::inval(
            c"Digest algorithm missing for ESSIV mode",
        ))?;
        AlgName::concat(&[b"essiv(", api, b",", ivopts, b")"])
            .ok_or(TableError::nomem(c"Cannot allocate cipher string"))?
    } else {
        // Upstream allocates the spec as given; only the `essiv(...)` copy is length-checked
        // there, and the crypto API refuses longer names anyway.
        AlgName::concat(&[api]).ok_or(TableError {
            msg: c"Error allocating crypto tfm",
            kind: ErrorKind::NoEnt,
        })?
    };
    Ok(CipherSpec {
        api: name,
        ivmode,
        ivopts,
        tfms_count,
        capi: true,
    })
}

fn parse_cipher_legacy(cipher: &[u8], aead: bool) -> Result<CipherSpec<'_>, TableError> {
    if cipher.contains(&b'(') || aead {
        return Err(TableError::inval(c"Bad cipher specification"));
    }
    let (first, tmp) = strsep(cipher, b'-');
    let (cipher_name, keycount) = strsep(first, b':');
    let tfms_count = match keycount {
        None => 1,
        Some(k) => match scan_u32(k) {
            Some(n) if n.is_power_of_two() => n,
            _ => return Err(TableError::inval(c"Bad cipher key count specification")),
        },
    };

    let (mut chainmode, tmp) = match tmp {
        Some(t) => {
            let (c, rest) = strsep(t, b'-');
            (Some(c), rest)
        }
        None => (None, None),
    };
    let (mut ivmode, ivopts) = match tmp {
        Some(t) => {
            let (m, rest) = strsep(t, b':');
            (Some(m), rest)
        }
        None => (None, None),
    };

    // Only a cipher name (or `<cipher>-plain`): the original format's cbc-plain.
    if chainmode.is_none() || (chainmode == Some(b"plain") && ivmode.is_none()) {
        chainmode = Some(b"cbc");
        ivmode = Some(b"plain");
    }
    // `chainmode` is set by now; the default only satisfies the type.
    let chainmode = chainmode.unwrap_or(b"cbc");
    if chainmode != b"ecb" && ivmode.is_none() {
        return Err(TableError::inval(c"IV mechanism required"));
    }

    let nomem = TableError::nomem(c"Cannot allocate cipher strings");
    let name = if ivmode == Some(b"essiv") {
        let ivopts = ivopts.ok_or(TableError::inval(
            c"Digest algorithm missing for ESSIV mode",
        ))?;
        AlgName::concat(&[b"essiv(", chainmode, b"(", cipher_name, b"),", ivopts, b")"])
            .ok_or(nomem)?
    } else {
        AlgName::concat(&[chainmode, b"(", cipher_name, b")"]).ok_or(nomem)?
    };
    Ok(CipherSpec {
        api: name,
        ivmode,
        ivopts,
        tfms_count,
        capi: false,
    })
}

/// `<iv_offset>`: a number that is a multiple of the sector size in 512-byte units.
pub(crate) fn parse_iv_offset(arg: &[u8], sector_size: u32) -> Result<u64, TableError> {
    match scan_u64(arg) {
        Some(v) if v & u64::from((sector_size >> SECTOR_SHIFT) - 1) == 0 => Ok(v),
        _ => Err(TableError::inval(c"Invalid iv_offset sector")),
    }
}

/// `<offset>`: the start sector on the underlying device.
pub(crate) fn parse_start(arg: &[u8]) -> Result<u64, TableError> {
    scan_u64(arg).ok_or(TableError::inval(c"Invalid device sector"))
}
