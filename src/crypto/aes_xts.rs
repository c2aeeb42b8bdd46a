// SPDX-License-Identifier: GPL-2.0

//! AES-XTS with the AES library (`lib/crypto/aes.c`): each message with its tweak, in any
//! context, with no transform, no request and no allocation.
//!
//! C header: [`include/crypto/aes-xts.h`](srctree/include/crypto/aes-xts.h)

use super::Buffers;
use crate::bindings;
use kernel::{
    error::to_result,
    prelude::*,
    types::Opaque, //
};

/// The XTS tweak size (one AES block).
pub(crate) const XTS_TWEAK_SIZE: usize = 16;

/// A key prepared for AES-XTS (`struct aes_xts_key`, about 768 bytes, so not on the stack),
/// wiped on drop.
///
/// # Invariants
///
/// `key` is a zero-initialised or prepared `aes_xts_key`.
pub(crate) struct AesXtsKey {
    key: KBox<Opaque<bindings::aes_xts_key>>,
}

// SAFETY: The library functions may run on any thread; changing the key is the caller's to
// serialise against its use, as with a crypto transform (see `set_key`).
unsafe impl Send for AesXtsKey {}
// SAFETY: As above; encryption and decryption only read the key.
unsafe impl Sync for AesXtsKey {}

impl AesXtsKey {
    /// An unset (all-zero) key.
    pub(crate) fn new() -> Result<Self> {
        let key = KBox::new(Opaque::zeroed(), GFP_KERNEL)?;
        // INVARIANT: Zero-initialised.
        Ok(Self { key })
    }

    fn raw(&self) -> *mut bindings::aes_xts_key {
        self.key.get()
    }

    /// Prepares `key` (32, 48 or 64 bytes: the data key, then the tweak key), as the `xts`
    /// template's `setkey` checks it (no flags: weak keys only refused in FIPS mode). Like a
    /// transform's `setkey`, this must not race with [`AesXtsKey::crypt`]: dm-crypt changes
    /// keys only while the device is suspended. On failure the key is all zeros.
    pub(crate) fn set_key(&self, key: &[u8]) -> Result {
        // SAFETY: `raw` is valid for writes; `key` is readable for its length. On failure the
        // library zeroes the structure, which keeps the invariant.
        to_result(unsafe { bindings::aes_xts_preparekey(self.raw(), key.as_ptr(), key.len(), 0) })
    }

    /// Encrypts (`encrypt`) or decrypts one message of at least 16 bytes with `tweak`, the
    /// IV before tweak encryption; `EINVAL` for a shorter one or a short destination. The
    /// same rule as for `set_key` applies.
    pub(crate) fn crypt(
        &self,
        encrypt: bool,
        data: Buffers<'_>,
        tweak: &[u8; XTS_TWEAK_SIZE],
    ) -> Result {
        let (dst, src, len) = match data {
            Buffers::InPlace(d) => {
                let p = d.as_mut_ptr();
                (p, p.cast_const(), d.len())
            }
            Buffers::Copy { src, dst } => {
                if dst.len() < src.len() {
                    return Err(EINVAL);
                }
                (dst.as_mut_ptr(), src.as_ptr(), src.len())
            }
        };
        if len < XTS_TWEAK_SIZE {
            return Err(EINVAL);
        }
        // The library updates its tweak argument.
        let mut t = *tweak;
        let f = if encrypt {
            bindings::aes_xts_encrypt
        } else {
            bindings::aes_xts_decrypt
        };
        // SAFETY: The key is initialised (type invariant). `src` is readable and `dst`
        // writable for `len` bytes, either the same buffer or two that do not overlap (one
        // `&mut` and one `&`); `len` is at least one block. `t` holds the 16 bytes of tweak
        // the library reads and updates. `cont == false`: a new message.
        unsafe { f(dst, src, len, t.as_mut_ptr(), self.raw(), false) };
        Ok(())
    }

    /// Zeroes the key (`memzero_explicit`). The same rule as for `set_key` applies.
    pub(crate) fn wipe(&self) {
        // SAFETY: `raw` is valid for writes of the structure; all zeros is its initial state.
        unsafe {
            bindings::memzero_explicit(
                self.raw().cast(),
                core::mem::size_of::<bindings::aes_xts_key>(),
            )
        };
    }
}

impl Drop for AesXtsKey {
    fn drop(&mut self) {
        self.wipe();
    }
}
