// SPDX-License-Identifier: GPL-2.0

//! Integrity metadata (`crypt_integrity_ctr`): what the lower device must offer for
//! `integrity:<bytes>:aead` and for IVs kept per sector (the `random` IV mode), and the layout
//! of each sector's tuple.

use super::{
    cipher::{
        Cipher,
        Ciphers, //
    },
    table::FeatureArgs,
};
use crate::dm::{
    CtrError,
    Device, //
};
use kernel::prelude::*;

/// `POOL_ENTRY_SIZE`: the size of a tag pool element; a bio whose tags kmalloc cannot give is
/// cut to what one element holds.
const POOL_ENTRY_SIZE: u32 = 512;

/// The tuple of metadata per encryption sector: `[tag][IV][padding]`.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct IntegrityLayout {
    /// Bytes per sector on the device (`tuple_size`, its `metadata_size`); 0 without
    /// metadata.
    pub(crate) tuple_size: u32,
    /// The AEAD tag (`integrity_tag_size`).
    pub(crate) tag_size: u32,
    /// The IV stored per sector (`integrity_iv_size`).
    pub(crate) iv_size: u32,
    /// The most 512-byte sectors one tag pool element covers (`tag_pool_max_sectors`).
    pub(crate) pool_max_sectors: u32,
}

impl IntegrityLayout {
    /// Checks the device's integrity profile against the table (`crypt_integrity_ctr`). No
    /// metadata unless the table uses an AEAD or stores IVs.
    pub(crate) fn new(
        dev: &Device,
        features: &FeatureArgs,
        cipher: &Cipher,
    ) -> Result<Self, CtrError> {
        let iv_size = cipher.iv.integrity_iv_size;
        let aead = match &cipher.ciphers {
            Ciphers::Aead(tfm) => Some(tfm),
            Ciphers::Skcipher(_) => None,
        };
        if aead.is_none() && iv_size == 0 {
            return Ok(Self::default());
        }
        let used_tag_size = features.integrity.map_or(0, |i| i.tag_size);
        // A device with non-checksum metadata (dm-integrity with external tags).
        let profile = dev
            .bdev()
            .integrity()
            .filter(|p| !p.has_checksum)
            .ok_or(CtrError::inval(c"Integrity profile not supported."))?;
        if profile.metadata_size < used_tag_size {
            return Err(CtrError::inval(c"Integrity profile tag size mismatch."));
        }
        let tuple_size = profile.metadata_size;
        if profile.interval != features.sector_size {
            return Err(CtrError::inval(c"Integrity profile sector size mismatch."));
        }
        let mut tag_size = 0;
        if let Some(tfm) = aead {
            tag_size = used_tag_size.wrapping_sub(iv_size);
            pr_debug!(
                "Integrity AEAD, tag size {}, IV size {}.\n",
                tag_size,
                iv_size
            );
            tfm.set_auth_size(tag_size)
                .map_err(|_| CtrError::inval(c"Integrity AEAD auth tag size is not supported."))?;
        } else {
            pr_debug!("Additional per-sector space {} bytes for IV.\n", iv_size);
        }
        if tag_size.saturating_add(iv_size) > tuple_size {
            return Err(CtrError::inval(
                c"Not enough space for integrity tag in the profile.",
            ));
        }
        let per_element = (POOL_ENTRY_SIZE / tuple_size).max(1);
        Ok(Self {
            tuple_size,
            tag_size,
            iv_size,
            pool_max_sectors: per_element << features.sector_shift(),
        })
    }

    /// The size of a tag pool element.
    pub(crate) fn pool_bytes(&self) -> usize {
        if self.tuple_size == 0 {
            return 0;
        }
        ((POOL_ENTRY_SIZE / self.tuple_size).max(1) * self.tuple_size) as usize
    }

    /// The tag bytes of `bytes` of data of `sector_size`-byte sectors (a power of two).
    pub(crate) fn tag_len(&self, bytes: u32, sector_size: u32) -> usize {
        (bytes >> sector_size.trailing_zeros()) as usize * self.tuple_size as usize
    }
}
