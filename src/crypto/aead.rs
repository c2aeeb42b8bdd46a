// SPDX-License-Identifier: GPL-2.0

//! Authenticated encryption with associated data (`crypto_aead`) and message digests.
//!
//! An [`AeadTfm`] is an AEAD transform with its key and tag size; its requests come from a
//! [`super::request::RequestPool`].
//!
//! C header: [`include/crypto/aead.h`](srctree/include/crypto/aead.h)

use super::request::{
    RequestLayout,
    Transform, //
};
use crate::bindings;
use core::ptr::NonNull;
use kernel::{
    error::from_err_ptr,
    prelude::*, //
};

/// An AEAD transform.
///
/// # Invariants
///
/// `tfm` is a transform allocated by `crypto_alloc_aead` and freed on drop; `is_async` is its
/// algorithm's `CRYPTO_ALG_ASYNC`.
pub(crate) struct AeadTfm {
    tfm: NonNull<bindings::crypto_aead>,
    is_async: bool,
}

// SAFETY: Transforms may be used from any thread; setting the key or the tag size is the
// caller's to serialise against requests, as in C.
unsafe impl Send for AeadTfm {}
// SAFETY: Requests on a transform may run concurrently.
unsafe impl Sync for AeadTfm {}

impl AeadTfm {
    /// Allocates the transform `name`, excluding implementations with `mask` flags set.
    pub(crate) fn new(name: &CStr, mask: u32) -> Result<Self> {
        // SAFETY: `name` is a valid C string.
        let tfm =
            from_err_ptr(unsafe { bindings::crypto_alloc_aead(name.as_char_ptr(), 0, mask) })?;
        // SAFETY: A successful allocation is never null.
        let tfm = unsafe { NonNull::new_unchecked(tfm) };
        // SAFETY: `tfm` is a valid transform.
        let is_async = unsafe { bindings::crypto_aead_is_async(tfm.as_ptr()) };
        // INVARIANT: `from_err_ptr` passed a valid transform through; `is_async` is its own,
        // and an algorithm's flags do not change.
        Ok(Self { tfm, is_async })
    }

    pub(super) fn raw(&self) -> *mut bindings::crypto_aead {
        self.tfm.as_ptr()
    }

    /// Sets the key. Must not race with requests on this transform.
    pub(crate) fn set_key(&self, key: &[u8]) -> Result {
        // SAFETY: The transform is valid; `key` is readable for its length.
        kernel::error::to_result(unsafe {
            bindings::crypto_aead_setkey(self.raw(), key.as_ptr(), key.len() as c_uint)
        })
    }

    /// Sets the authentication tag size. Must not race with requests.
    pub(crate) fn set_auth_size(&self, size: u32) -> Result {
        // SAFETY: The transform is valid.
        kernel::error::to_result(unsafe { bindings::crypto_aead_setauthsize(self.raw(), size) })
    }

    /// The IV size in bytes.
    pub(crate) fn iv_size(&self) -> u32 {
        // SAFETY: The transform is valid.
        unsafe { bindings::crypto_aead_ivsize(self.raw()) }
    }

    /// The block size in bytes.
    pub(crate) fn block_size(&self) -> u32 {
        // SAFETY: The transform is valid.
        unsafe { bindings::crypto_aead_blocksize(self.raw()) }
    }

    /// Whether the implementation may complete requests asynchronously (`CRYPTO_ALG_ASYNC`).
    /// A transform without it finishes every request before `crypto_aead_encrypt` (or
    /// `decrypt`) returns.
    #[inline]
    pub(crate) fn is_async(&self) -> bool {
        self.is_async
    }

    /// The implementation in use (`cra_driver_name`).
    pub(crate) fn driver_name(&self) -> &CStr {
        // SAFETY: The transform is valid; the name lives as long as the algorithm, which the
        // transform holds a reference on.
        unsafe { CStr::from_char_ptr(bindings::crypto_aead_driver_name(self.raw())) }
    }
}

impl Transform for AeadTfm {
    fn request_layout(&self) -> RequestLayout {
        // SAFETY: The transform is valid.
        let (reqsize, align_mask) = unsafe {
            (
                bindings::crypto_aead_reqsize(self.raw()) as usize,
                bindings::crypto_aead_alignmask(self.raw()),
            )
        };
        RequestLayout {
            request_size: size_of::<bindings::aead_request>() + reqsize,
            align_mask,
            iv_size: self.iv_size(),
            aead: true,
        }
    }
}

impl Drop for AeadTfm {
    fn drop(&mut self) {
        // SAFETY: By the type invariant the transform is valid and not yet freed.
        unsafe { bindings::crypto_free_aead(self.raw()) };
    }
}

/// The digest size of the hash algorithm `name` (`crypto_alloc_ahash`, then
/// `crypto_ahash_digestsize`), excluding implementations with `mask` flags set.
pub(crate) fn digest_size(name: &CStr, mask: u32) -> Result<u32> {
    // SAFETY: `name` is a valid C string.
    let mac = from_err_ptr(unsafe { bindings::crypto_alloc_ahash(name.as_char_ptr(), 0, mask) })?;
    // SAFETY: `mac` is a valid transform, freed right after.
    unsafe {
        let size = bindings::crypto_ahash_digestsize(mac);
        bindings::crypto_free_ahash(mac);
        Ok(size)
    }
}
