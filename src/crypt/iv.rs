// SPDX-License-Identifier: GPL-2.0

//! IV modes: selection at construction (`crypt_ctr_ivmode`) and IV generation per sector.
//!
//! Pure logic, tested on the host.

/// An IV mode (`iv_gen_ops`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum IvMode {
    /// `plain`: the low 32 bits of the sector, little endian.
    Plain,
    /// `plain64`: the sector, little endian.
    Plain64,
    /// `plain64be`: the sector, big endian, in the last 8 bytes.
    Plain64Be,
    /// `essiv:<hash>`: like `plain64`; the `essiv()` template encrypts it.
    Essiv,
    /// `benbi`: the big-endian narrow-block count (starting at 1) in the last 8 bytes.
    Benbi {
        /// `9 - log2(block size)`.
        shift: u32,
    },
    /// `null`: all zeros.
    Null,
    /// `lmk` (loop-AES).
    Lmk,
    /// `tcw` (TrueCrypt).
    Tcw,
    /// `random` (stored in integrity metadata).
    Random,
    /// `eboiv` (BitLocker).
    Eboiv,
    /// `elephant` (BitLocker with diffuser).
    Elephant,
}

/// How the key splits into per-transform keys and extra material.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct KeyLayout {
    /// `key_parts`.
    pub(crate) key_parts: u32,
    /// `key_extra_size`: bytes at the end not used by the transforms.
    pub(crate) key_extra_size: u32,
}

/// What `crypt_ctr_ivmode` decides.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct IvChoice {
    /// The mode, `None` without IV.
    pub(crate) mode: Option<IvMode>,
    /// The IV size (at least 8 when the cipher has an IV, else 0).
    pub(crate) iv_size: u32,
    /// The key layout.
    pub(crate) layout: KeyLayout,
    /// The IV size stored per sector in integrity metadata (`random`).
    pub(crate) integrity_iv_size: u32,
    /// An IV mode was given for a cipher without IV: upstream warns "Selected cipher does not
    /// support IVs" and ignores it.
    pub(crate) ignored_ivmode: bool,
}

/// Why `crypt_ctr_ivmode` failed.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum IvError {
    /// "Invalid IV mode".
    Invalid,
    /// A failure for which upstream sets no message ("Unknown error"): an elephant key part
    /// over 32 bytes.
    Unnamed,
}

/// Selects the IV mode for a cipher whose transform reports `cipher_iv_size` (0: no IV).
pub(crate) fn select(
    ivmode: Option<&[u8]>,
    cipher_iv_size: u32,
    key_size: u32,
    tfms_count: u32,
) -> Result<IvChoice, IvError> {
    let mut choice = IvChoice {
        mode: None,
        iv_size: 0,
        layout: KeyLayout {
            key_parts: tfms_count,
            key_extra_size: 0,
        },
        integrity_iv_size: 0,
        ignored_ivmode: false,
    };
    let Some(ivmode) = ivmode else {
        choice.iv_size = if cipher_iv_size > 0 {
            cipher_iv_size.max(8)
        } else {
            0
        };
        return Ok(choice);
    };
    if cipher_iv_size == 0 {
        choice.ignored_ivmode = true;
        return Ok(choice);
    }
    choice.iv_size = cipher_iv_size.max(8);
    let layout = &mut choice.layout;
    choice.mode = Some(match ivmode {
        b"plain" => IvMode::Plain,
        b"plain64" => IvMode::Plain64,
        b"plain64be" => IvMode::Plain64Be,
        b"essiv" => IvMode::Essiv,
        b"benbi" => IvMode::Benbi { shift: 0 },
        b"null" => IvMode::Null,
        b"eboiv" => IvMode::Eboiv,
        b"elephant" => {
            layout.key_parts = 2;
            layout.key_extra_size = key_size / 2;
            if layout.key_extra_size > 32 {
                return Err(IvError::Unnamed);
            }
            IvMode::Elephant
        }
        b"lmk" => {
            if key_size % layout.key_parts != 0 {
                layout.key_parts += 1;
                layout.key_extra_size = key_size / layout.key_parts;
            }
            IvMode::Lmk
        }
        b"tcw" => {
            layout.key_parts += 2;
            layout.key_extra_size = choice.iv_size + 16;
            IvMode::Tcw
        }
        b"random" => {
            choice.integrity_iv_size = choice.iv_size;
            IvMode::Random
        }
        _ => return Err(IvError::Invalid),
    });
    Ok(choice)
}

/// The size of each transform's key (`crypt_subkey_size`).
pub(crate) fn subkey_size(key_size: u32, layout: KeyLayout, tfms_count: u32) -> u32 {
    key_size.wrapping_sub(layout.key_extra_size) >> tfms_count.trailing_zeros()
}

/// The `benbi` shift for a cipher block size (`crypt_iv_benbi_ctr`); `None` if the block size
/// is not a power of two or exceeds 512.
pub(crate) fn benbi_shift(block_size: u32) -> Option<u32> {
    if !block_size.is_power_of_two() {
        return None;
    }
    let log = block_size.trailing_zeros();
    (log <= 9).then(|| 9 - log)
}

/// Writes the IV of `sector` for `mode` into `iv` (the IV size; at least 8 bytes). Inline:
/// it is the per-sector work of the common modes.
#[inline]
pub(crate) fn generate(mode: IvMode, sector: u64, iv: &mut [u8]) {
    iv.fill(0);
    let n = iv.len();
    match mode {
        IvMode::Plain => iv[..4].copy_from_slice(&(sector as u32).to_le_bytes()),
        IvMode::Plain64 | IvMode::Essiv => iv[..8].copy_from_slice(&sector.to_le_bytes()),
        IvMode::Plain64Be => iv[n - 8..].copy_from_slice(&sector.to_be_bytes()),
        IvMode::Benbi { shift } => {
            let v = (sector << shift).wrapping_add(1);
            iv[n - 8..].copy_from_slice(&v.to_be_bytes());
        }
        // The modes with state are generated elsewhere; `null` is all zeros.
        IvMode::Null
        | IvMode::Lmk
        | IvMode::Tcw
        | IvMode::Random
        | IvMode::Eboiv
        | IvMode::Elephant => {}
    }
}
