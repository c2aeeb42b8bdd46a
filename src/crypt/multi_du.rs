// SPDX-License-Identifier: GPL-2.0

//! The multi-data-unit path: which tables may convert a bio's data units without one cipher
//! request per sector, and with which backend.
//!
//! Pure logic, tested on the host. The backend is `crate::crypto::aes_xts`; the conversion is
//! in `convert.rs`, the tweak of each data unit its IV (`iv::generate`).

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

/// Chooses the path for a table: `lib_faster` says whether the AES-XTS library is known to be
/// faster here than the crypto API (an architecture with an optimised library XTS).
pub(crate) fn choose(mode: Mode, t: &Table<'_>, lib_faster: bool) -> Choice {
    if mode == Mode::Off {
        return Choice::PerSector("multi_data_unit=off");
    }
    if let Err(why) = eligible(t) {
        return Choice::PerSector(why);
    }
    match mode {
        Mode::Api => Choice::PerSector("the crypto API has no data-unit support in this kernel"),
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
