// SPDX-License-Identifier: GPL-2.0

//! The multi-data-unit path: which tables may convert a bio's data units without one cipher
//! request per sector, and with which backend.
//!
//! Pure logic, tested on the host. The backends are `crate::crypto::aes_xts` (the library)
//! and a crypto API transform with data-unit support (`crate::crypto::skcipher`, on kernels
//! that carry the proposed API); the conversion is in `convert.rs`.

use super::iv::{
    IvChoice,
    IvMode, //
};

/// The module parameter `multi_data_unit`: which path the tables loaded next take.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Mode {
    /// The multi-data-unit path where a backend is known to be faster than the per-sector
    /// requests of the crypto API.
    Auto,
    /// Always the per-sector path.
    Off,
    /// The AES-XTS library wherever the table allows it (tests force it this way).
    Lib,
    /// The crypto API's own data-unit support.
    Api,
}

impl Mode {
    /// The modes in the order of the parameter's values in `bindings/helpers.c`.
    pub(crate) const ALL: [Self; 4] = [Self::Auto, Self::Off, Self::Lib, Self::Api];

    /// The parameter's value (`auto`, `off`, `lib`, `api`).
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Auto => "auto",
            Self::Off => "off",
            Self::Lib => "lib",
            Self::Api => "api",
        }
    }
}

/// A backend of the multi-data-unit path.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Backend {
    /// `aes_xts_encrypt`/`aes_xts_decrypt` of `lib/crypto`: each data unit with its tweak,
    /// synchronously, with no request and no allocation.
    Lib,
    /// The crypto API's data-unit support: one request for the data units of a conversion,
    /// the IV counted up per unit by the transform.
    Api,
}

/// What the crypto API of the running kernel offers the table's cipher.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum ApiSupport {
    /// The kernel has no data-unit API (Linux 7.3 as released).
    Missing,
    /// No implementation of the cipher takes data units (or none was looked for).
    NoDriver,
    /// The implementation the cipher resolves to takes data units.
    Default,
    /// Another implementation of the cipher does (asked for by `multi_data_unit=api`).
    Other,
}

/// What a table loads with: a backend, or the per-sector path and why.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Choice {
    MultiDataUnit(Backend),
    PerSector(&'static str),
}

/// What the multi-data-unit path needs to know of a table.
pub(crate) struct Table<'a> {
    /// The crypto API name of the cipher (`xts(aes)`).
    pub(crate) api: &'a [u8],
    pub(crate) aead: bool,
    /// `tfms_count`.
    pub(crate) tfms_count: u32,
    pub(crate) iv: &'a IvChoice,
    /// Integrity metadata per sector (tags or stored IVs).
    pub(crate) integrity: bool,
    /// The key size in bytes.
    pub(crate) key_size: usize,
    /// The sector size (the data unit) in bytes.
    pub(crate) sector_size: u32,
    /// `iv_large_sectors`: the IV counts sectors of `sector_size`, not of 512 bytes.
    pub(crate) iv_large_sectors: bool,
}

/// Whether the table allows the multi-data-unit path: a symmetric cipher with one key, the
/// IV a little-endian sector number (`plain`, `plain64`) with no post-processing, and no
/// integrity metadata. `Err` says why not.
pub(crate) fn eligible(t: &Table<'_>) -> Result<(), &'static str> {
    if t.aead {
        return Err("AEAD cipher");
    }
    if t.integrity {
        return Err("integrity metadata");
    }
    if t.tfms_count != 1 {
        return Err("more than one key");
    }
    match t.iv.mode {
        Some(IvMode::Plain | IvMode::Plain64) => {}
        _ => return Err("IV mode other than plain or plain64"),
    }
    // The IV is the 128-bit tweak of XTS: 16 bytes.
    if t.iv.iv_size != 16 {
        return Err("IV size other than 16 bytes");
    }
    Ok(())
}

/// Whether the AES-XTS library can take the table: `xts(aes)` with a 32-, 48- or 64-byte key.
pub(crate) fn lib_supports(t: &Table<'_>) -> bool {
    t.api == b"xts(aes)" && matches!(t.key_size, 32 | 48 | 64)
}

/// Whether the crypto API backend can take an eligible table: its transform counts the IV up
/// by one per data unit as a 128-bit number, which is the IV of `plain64` when the IV counts
/// data units (512-byte sectors, or `iv_large_sectors`). `plain`'s 32-bit IV wraps where the
/// 128-bit counter carries.
pub(crate) fn api_supports(t: &Table<'_>) -> Result<(), &'static str> {
    if t.iv.mode != Some(IvMode::Plain64) {
        return Err("the crypto API's data units need the plain64 IV (plain wraps at 32 bits)");
    }
    if t.sector_size != 512 && !t.iv_large_sectors {
        return Err("the IV counts 512-byte sectors, not data units (no iv_large_sectors)");
    }
    Ok(())
}

/// Whether the table would take the crypto API backend if the API has it: `multi_data_unit`
/// is `api`, or `auto` (then only with the cipher's default implementation, see [`choose`]).
pub(crate) fn wants_api(mode: Mode, t: &Table<'_>) -> bool {
    matches!(mode, Mode::Api | Mode::Auto) && eligible(t).is_ok() && api_supports(t).is_ok()
}

/// Chooses the path for a table: `lib_faster` says whether the AES-XTS library is known to be
/// faster here than the crypto API (an architecture with an optimised library XTS), `api`
/// what the crypto API offers. `auto` takes the crypto API backend only where the cipher's
/// own implementation advertises data units (a driver made for them), and never an
/// implementation that is not the cipher's default.
pub(crate) fn choose(mode: Mode, t: &Table<'_>, lib_faster: bool, api: ApiSupport) -> Choice {
    if mode == Mode::Off {
        return Choice::PerSector("multi_data_unit=off");
    }
    if let Err(why) = eligible(t) {
        return Choice::PerSector(why);
    }
    let api_ok = api_supports(t);
    match mode {
        Mode::Api => match (api_ok, api) {
            (Err(why), _) => Choice::PerSector(why),
            (Ok(()), ApiSupport::Default | ApiSupport::Other) => {
                Choice::MultiDataUnit(Backend::Api)
            }
            (Ok(()), ApiSupport::NoDriver) => {
                Choice::PerSector("no implementation of the cipher takes data units")
            }
            (Ok(()), ApiSupport::Missing) => {
                Choice::PerSector("the crypto API has no data-unit support in this kernel")
            }
        },
        Mode::Auto if api_ok.is_ok() && api == ApiSupport::Default => {
            Choice::MultiDataUnit(Backend::Api)
        }
        Mode::Lib | Mode::Auto if !lib_supports(t) => {
            Choice::PerSector("the AES-XTS library takes xts(aes) only")
        }
        Mode::Auto if !lib_faster => {
            Choice::PerSector("the AES-XTS library is slower than the crypto API here")
        }
        Mode::Lib | Mode::Auto => Choice::MultiDataUnit(Backend::Lib),
        Mode::Off => Choice::PerSector("multi_data_unit=off"),
    }
}
