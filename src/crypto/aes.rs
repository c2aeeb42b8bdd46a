// SPDX-License-Identifier: GPL-2.0

//! Single AES blocks with the AES library (`lib/crypto/aes.c`): no transform, no request,
//! any context.
//!
//! C header: [`include/crypto/aes.h`](srctree/include/crypto/aes.h)

use crate::bindings;
use kernel::{
    error::to_result,
    prelude::*,
    types::Opaque, //
};

/// The AES block size.
pub(crate) const AES_BLOCK_SIZE: usize = 16;

/// An AES key prepared for encryption (`struct aes_enckey`), wiped on drop.
///
/// # Invariants
///
/// `key` is a zero-initialised or prepared `aes_enckey`.
pub(crate) struct AesEncKey {
    key: KBox<Opaque<bindings::aes_enckey>>,
}

// SAFETY: The library functions may run on any thread; changing the key is the caller's to
// serialise against its use, as with a crypto transform (see `set_key`).
unsafe impl Send for AesEncKey {}
// SAFETY: As above; encryption only reads the key.
unsafe impl Sync for AesEncKey {}

impl AesEncKey {
    /// An unset (all-zero) key.
    pub(crate) fn new() -> Result<Self> {
        let key = KBox::new(Opaque::zeroed(), GFP_KERNEL)?;
        // INVARIANT: Zero-initialised.
        Ok(Self { key })
    }

    fn raw(&self) -> *mut bindings::aes_enckey {
        self.key.get()
    }

    /// Prepares `key` (16, 24 or 32 bytes). Like a transform's `setkey`, this must not race
    /// with [`AesEncKey::encrypt`]: dm-crypt changes keys only while the device is suspended.
    pub(crate) fn set_key(&self, key: &[u8]) -> Result {
        // SAFETY: `raw` is valid for writes; `key` is readable for its length.
        to_result(unsafe { bindings::aes_prepareenckey(self.raw(), key.as_ptr(), key.len()) })
    }

    /// Encrypts one block in place.
    pub(crate) fn encrypt(&self, block: &mut [u8; AES_BLOCK_SIZE]) {
        let input = *block;
        // SAFETY: The key is initialised (type invariant); the library reads 16 bytes from
        // `input` and writes 16 to `block`. The transparent union passes the pointer as is.
        unsafe {
            bindings::aes_encrypt(
                bindings::aes_encrypt_arg {
                    enc_key: self.raw(),
                },
                block.as_mut_ptr(),
                input.as_ptr(),
            )
        };
    }

    /// Zeroes the key (`memzero_explicit`). The same rule as for `set_key` applies.
    pub(crate) fn wipe(&self) {
        // SAFETY: `raw` is valid for writes of the structure; all zeros is its initial state.
        unsafe {
            bindings::memzero_explicit(
                self.raw().cast(),
                core::mem::size_of::<bindings::aes_enckey>(),
            )
        };
    }
}

impl Drop for AesEncKey {
    fn drop(&mut self) {
        self.wipe();
    }
}
