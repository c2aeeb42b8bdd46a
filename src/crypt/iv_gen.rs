// SPDX-License-Identifier: GPL-2.0

//! IV generators (`iv_gen_ops` with `iv_gen_private`): their construction, key material,
//! and what they do to a sector's data around the cipher.
//!
//! The arithmetic is pure logic in [`super::iv`], [`super::lmk`], [`super::tcw`] and
//! [`super::elephant`]; this is the kernel side: key material that `key set` and `key wipe`
//! change, the AES key of the Elephant sector key, and the encrypted byte-offset IV.

use super::{
    cipher::Ciphers,
    config::CryptConfig,
    elephant,
    iv::{
        self,
        IvChoice,
        IvMode, //
    },
    lmk::{
        self,
        LMK_SEED_KEY_BYTES,
        LMK_SEED_SIZE, //
    },
    table::FeatureArgs,
    tcw::{
        self,
        TCW_SECTOR_SIZE,
        TCW_WHITENING_SIZE, //
    },
};
use crate::{
    crypto::aes::AesEncKey,
    dm::{
        CtrError,
        SectorData, //
    },
    keys::random_bytes,
};
use kernel::{
    prelude::*,
    sync::atomic::{
        Atomic,
        Relaxed, //
    },
};

/// Up to 64 bytes of IV key material that the I/O path reads while `key set` or `key wipe`
/// may replace it. dm-crypt changes keys only while the device is suspended, so no I/O
/// actually races; relaxed atomic words keep even a misuse free of data races, without a
/// lock on the I/O path.
pub(super) struct KeyBytes {
    words: [Atomic<u64>; 8],
}

impl KeyBytes {
    fn new() -> Self {
        Self {
            words: [const { Atomic::new(0) }; 8],
        }
    }

    /// Stores `bytes` (at most 64), zero-padded.
    fn set(&self, bytes: &[u8]) {
        let mut buf = [0u8; 64];
        let n = bytes.len().min(buf.len());
        buf[..n].copy_from_slice(&bytes[..n]);
        for (i, w) in self.words.iter().enumerate() {
            let mut b = [0u8; 8];
            b.copy_from_slice(&buf[8 * i..8 * i + 8]);
            w.store(u64::from_ne_bytes(b), Relaxed);
        }
    }

    /// The 64 bytes.
    fn get(&self) -> [u8; 64] {
        let mut buf = [0u8; 64];
        for (i, w) in self.words.iter().enumerate() {
            buf[8 * i..8 * i + 8].copy_from_slice(&w.load(Relaxed).to_ne_bytes());
        }
        buf
    }

    fn wipe(&self) {
        for w in &self.words {
            w.store(0, Relaxed);
        }
    }
}

/// An IV generator.
pub(super) enum IvGen {
    /// A mode that needs nothing but the sector number (plain, plain64, plain64be, essiv,
    /// benbi, null).
    Sector(IvMode),
    /// loop-AES; the seed only in version 3 (65 key parts).
    Lmk { seed: Option<KeyBytes> },
    /// TrueCrypt: the IV seed and the whitening value, from the key's end.
    Tcw {
        iv_seed: KeyBytes,
        whitening: KeyBytes,
    },
    /// The encrypted byte offset (BitLocker).
    Eboiv,
    /// The encrypted byte offset with the Elephant diffuser (BitLocker, older Windows).
    Elephant { key: AesEncKey },
    /// Random IVs, stored in the integrity metadata.
    Random,
}

/// Why a generator could not be made: upstream reports all of them as "Error creating IV".
const CREATE_ERR: &CStr = c"Error creating IV";

impl IvGen {
    /// The generator's constructor (`iv_gen_ops->ctr`) for the IV mode `choice`, a cipher
    /// of `tfms_count` transforms like `tfm`, `sector_size` and a key of `key_size` bytes.
    /// `None` without an IV mode.
    pub(super) fn new(
        choice: &IvChoice,
        ciphers: &Ciphers,
        features: &FeatureArgs,
        key_size: usize,
    ) -> Result<Option<Self>, CtrError> {
        let tfms_count = ciphers.count();
        let sector_size = features.sector_size;
        let Some(mode) = choice.mode else {
            return Ok(None);
        };
        let create_err = |msg: &'static str| {
            pr_debug!("{}\n", msg);
            CtrError::inval(CREATE_ERR)
        };
        let eboiv = || {
            if ciphers.any_skcipher().is_none() {
                return Err(create_err("AEAD transforms not supported for EBOIV"));
            }
            if ciphers.block_size() != choice.iv_size {
                return Err(create_err(
                    "Block size of EBOIV cipher does not match IV size of block cipher",
                ));
            }
            Ok(())
        };
        Ok(Some(match mode {
            IvMode::Benbi { .. } => {
                let shift = iv::benbi_shift(ciphers.block_size())
                    .ok_or_else(|| create_err("cypher blocksize is not a power of 2 or > 512"))?;
                Self::Sector(IvMode::Benbi { shift })
            }
            IvMode::Lmk => {
                if sector_size as usize != lmk::LMK_SECTOR_SIZE {
                    return Err(create_err("Unsupported sector size for LMK"));
                }
                // Version 3 has a key part more than transforms: the seed.
                let v3 = choice.layout.key_parts != tfms_count;
                Self::Lmk {
                    seed: v3.then(KeyBytes::new),
                }
            }
            IvMode::Tcw => {
                if sector_size as usize != TCW_SECTOR_SIZE {
                    return Err(create_err("Unsupported sector size for TCW"));
                }
                if key_size <= choice.iv_size as usize + TCW_WHITENING_SIZE {
                    return Err(create_err("Wrong key size for TCW"));
                }
                Self::Tcw {
                    iv_seed: KeyBytes::new(),
                    whitening: KeyBytes::new(),
                }
            }
            IvMode::Eboiv => {
                eboiv()?;
                Self::Eboiv
            }
            IvMode::Elephant => {
                let key = AesEncKey::new().map_err(|e| CtrError::new(CREATE_ERR, e))?;
                eboiv()?;
                Self::Elephant { key }
            }
            IvMode::Random => Self::Random,
            IvMode::Plain | IvMode::Plain64 | IvMode::Plain64Be | IvMode::Essiv | IvMode::Null => {
                Self::Sector(mode)
            }
        }))
    }

    /// `iv_gen_ops->init`: takes the generator's key material from `key` (laid out as
    /// `choice` says, over `tfms_count` transforms).
    pub(super) fn init(&self, key: &[u8], choice: &IvChoice, tfms_count: u32) -> Result {
        let layout = choice.layout;
        match self {
            Self::Sector(_) | Self::Eboiv | Self::Random => Ok(()),
            Self::Lmk { seed } => {
                if let Some(seed) = seed {
                    // The seed is the key part after the 64 transform keys.
                    let part = key.len() / layout.key_parts as usize;
                    let at = tfms_count as usize * part;
                    seed.set(key.get(at..at + LMK_SEED_KEY_BYTES).ok_or(EINVAL)?);
                }
                Ok(())
            }
            Self::Tcw { iv_seed, whitening } => {
                let iv_size = choice.iv_size as usize;
                let at = key.len() - iv_size - TCW_WHITENING_SIZE;
                iv_seed.set(&key[at..at + iv_size]);
                whitening.set(&key[at + iv_size..at + iv_size + TCW_WHITENING_SIZE]);
                Ok(())
            }
            Self::Elephant { key: aes } => {
                let at = key.len() - layout.key_extra_size as usize;
                aes.set_key(&key[at..])
            }
        }
    }

    /// `iv_gen_ops->wipe`: forgets the key material.
    pub(super) fn wipe(&self) {
        match self {
            Self::Sector(_) | Self::Eboiv | Self::Random => {}
            Self::Lmk { seed } => {
                if let Some(seed) = seed {
                    seed.wipe();
                }
            }
            Self::Tcw { iv_seed, whitening } => {
                iv_seed.wipe();
                whitening.wipe();
            }
            Self::Elephant { key } => key.wipe(),
        }
    }

    /// Whether generating an IV may sleep (it runs a cipher request and waits for it): never
    /// inline in atomic context then.
    pub(super) fn may_sleep(&self) -> bool {
        matches!(self, Self::Eboiv | Self::Elephant { .. })
    }

    /// Whether the data needs work after the cipher ([`IvGen::post`]).
    pub(super) fn has_post(&self) -> bool {
        matches!(
            self,
            Self::Lmk { .. } | Self::Tcw { .. } | Self::Elephant { .. }
        )
    }

    /// `iv_gen_ops->generator`: the IV of `sector` (after `iv_large_sectors`) into `iv`, and
    /// the data preprocessing before the cipher.
    pub(super) fn generate(
        &self,
        cfg: &CryptConfig,
        sector: u64,
        write: bool,
        iv: &mut [u8],
        mut data: SectorData<'_>,
    ) -> Result {
        match self {
            Self::Sector(mode) => iv::generate(*mode, sector, iv),
            Self::Lmk { seed } => {
                if write {
                    let seed = seed.as_ref().map(Self::seed);
                    data.source(|d| lmk::lmk_iv(seed.as_ref(), sector, d, iv));
                } else {
                    // Reads fix the first block afterwards.
                    iv.fill(0);
                }
            }
            Self::Tcw { iv_seed, whitening } => {
                if !write {
                    // Strip the whitening from the ciphertext before decryption.
                    let w = Self::whitening(whitening);
                    data.source(|d| tcw::tcw_whiten(&w, sector, d));
                }
                tcw::tcw_iv(&iv_seed.get()[..iv.len()], sector, iv);
            }
            Self::Eboiv => Self::eboiv(cfg, sector, &mut data, iv)?,
            // Only writes generate: reads take the IV from the integrity metadata.
            Self::Random => random_bytes(iv),
            Self::Elephant { key } => {
                if write {
                    // The original bio stays as it is: the plaintext is diffused in the
                    // output, and encrypted there.
                    let ks = Self::sector_key(key, cfg, sector);
                    data.prepare_in_destination(|d| elephant::encrypt(d, &ks));
                }
                Self::eboiv(cfg, sector, &mut data, iv)?;
            }
        }
        Ok(())
    }

    /// `iv_gen_ops->post`, after a successful cipher request on `sector`: `dst` is the output.
    pub(super) fn post(&self, cfg: &CryptConfig, sector: u64, write: bool, dst: &mut [u8]) {
        match self {
            Self::Lmk { seed } if !write => {
                let seed = seed.as_ref().map(Self::seed);
                lmk::lmk_post_read(seed.as_ref(), sector, dst, cfg.iv.iv_size as usize);
            }
            Self::Tcw { whitening, .. } if write => {
                tcw::tcw_whiten(&Self::whitening(whitening), sector, dst);
            }
            Self::Elephant { key } if !write => {
                let ks = Self::sector_key(key, cfg, sector);
                elephant::decrypt(dst, &ks);
            }
            _ => {}
        }
    }

    fn seed(seed: &KeyBytes) -> [u8; LMK_SEED_SIZE] {
        seed.get()
    }

    fn whitening(w: &KeyBytes) -> [u8; TCW_WHITENING_SIZE] {
        let mut out = [0u8; TCW_WHITENING_SIZE];
        out.copy_from_slice(&w.get()[..TCW_WHITENING_SIZE]);
        out
    }

    /// The sector's byte offset, as eboiv and elephant count it (`iv_sector * sector_size`).
    fn byte_offset(cfg: &CryptConfig, sector: u64) -> u64 {
        sector.wrapping_mul(u64::from(cfg.features.sector_size))
    }

    fn sector_key(key: &AesEncKey, cfg: &CryptConfig, sector: u64) -> [u8; 32] {
        elephant::sector_key(Self::byte_offset(cfg, sector), |b| key.encrypt(b))
    }

    /// `crypt_iv_eboiv_gen`: the IV is the cipher's encryption of the byte offset, computed
    /// as a CBC encryption of a zero block with the offset as IV, with the first transform.
    fn eboiv(cfg: &CryptConfig, sector: u64, data: &mut SectorData<'_>, iv: &mut [u8]) -> Result {
        let mut offset = [0u8; 32];
        offset[..8].copy_from_slice(&Self::byte_offset(cfg, sector).to_le_bytes());
        let n = iv.len();
        // The constructor made sure the transforms are symmetric ciphers.
        let tfm = cfg.ciphers.any_skcipher().ok_or(EINVAL)?;
        tfm.encrypt_zeros_wait(data.gfp(), &offset[..n], iv)
    }
}
