// SPDX-License-Identifier: GPL-2.0

//! Symmetric key ciphers (`crypto_skcipher`).
//!
//! A [`Tfm`] is a transform (an algorithm instance with its key). Its requests come from a
//! [`super::request::RequestPool`].

use super::request::{
    RequestLayout,
    Transform,
    MAX_IV_SIZE, //
};
use crate::{
    bindings,
    gfp::Gfp, //
};
use core::ptr::NonNull;
use kernel::{
    error::from_err_ptr,
    prelude::*,
    types::Opaque, //
};

/// A symmetric cipher transform.
///
/// # Invariants
///
/// `tfm` is a transform allocated by `crypto_alloc_skcipher` and freed on drop; `base` is its
/// `crypto_tfm` (`crypto_skcipher_tfm`), `is_async` its algorithm's `CRYPTO_ALG_ASYNC`.
pub(crate) struct Tfm {
    tfm: NonNull<bindings::crypto_skcipher>,
    base: NonNull<bindings::crypto_tfm>,
    is_async: bool,
}

// SAFETY: Transforms may be used from any thread; setting the key is the caller's to serialise
// against requests, as in C.
unsafe impl Send for Tfm {}
// SAFETY: Requests on a transform may run concurrently.
unsafe impl Sync for Tfm {}

impl Tfm {
    /// Allocates the transform `name`, excluding implementations with `mask` flags set
    /// (dm-crypt passes `CRYPTO_ALG_ALLOCATES_MEMORY`).
    pub(crate) fn new(name: &CStr, mask: u32) -> Result<Self> {
        Self::alloc(name, 0, mask)
    }

    /// Allocates the transform `name` among the implementations that take requests of several
    /// data units ([`Tfm::set_data_unit_size`]), excluding those with `mask` flags set.
    /// `EOPNOTSUPP` where the kernel has no data-unit support, `ENOENT` where no
    /// implementation of `name` has it.
    pub(crate) fn new_multi_data_unit(name: &CStr, mask: u32) -> Result<Self> {
        let flag = multi_data_unit_flag();
        if flag == 0 {
            return Err(EOPNOTSUPP);
        }
        Self::alloc(name, flag, mask | flag)
    }

    /// Whether the kernel has the crypto API's data-unit support (the proposed
    /// `crypto_skcipher_set_data_unit_size`, detected when the module was built).
    pub(crate) fn kernel_has_data_units() -> bool {
        multi_data_unit_flag() != 0
    }

    fn alloc(name: &CStr, type_: u32, mask: u32) -> Result<Self> {
        // SAFETY: `name` is a valid C string.
        let tfm = from_err_ptr(unsafe {
            bindings::crypto_alloc_skcipher(name.as_char_ptr(), type_, mask)
        })?;
        // SAFETY: A successful allocation is never null.
        let tfm = unsafe { NonNull::new_unchecked(tfm) };
        // SAFETY: `tfm` is a valid transform; its base is a field of it, never null.
        let base = unsafe { NonNull::new_unchecked(bindings::crypto_skcipher_tfm(tfm.as_ptr())) };
        // SAFETY: `tfm` is a valid transform.
        let is_async = unsafe { bindings::crypto_skcipher_is_async(tfm.as_ptr()) };
        // INVARIANT: `from_err_ptr` passed a valid transform through; `base` and `is_async`
        // are its own, and an algorithm's flags do not change.
        Ok(Self {
            tfm,
            base,
            is_async,
        })
    }

    pub(super) fn raw(&self) -> *mut bindings::crypto_skcipher {
        self.tfm.as_ptr()
    }

    /// Sets the key. Must not race with requests on this transform.
    pub(crate) fn set_key(&self, key: &[u8]) -> Result {
        // SAFETY: The transform is valid; `key` is readable for its length.
        kernel::error::to_result(unsafe {
            bindings::crypto_skcipher_setkey(self.raw(), key.as_ptr(), key.len() as c_uint)
        })
    }

    /// Whether the implementation takes requests of several data units (the proposed
    /// `CRYPTO_ALG_SKCIPHER_MULTI_DATA_UNIT`; never on a kernel without that API).
    pub(crate) fn has_multi_data_unit(&self) -> bool {
        // SAFETY: The transform is valid.
        unsafe { bindings::skcipher_has_multi_data_unit(self.raw()) }
    }

    /// From now on each request is a sequence of `size`-byte data units, each with its own
    /// IV: the request's IV plus the unit's index, a 128-bit little-endian counter
    /// (`crypto_skcipher_set_data_unit_size`). Must not race with requests on this transform.
    pub(crate) fn set_data_unit_size(&self, size: u32) -> Result {
        // SAFETY: The transform is valid; the caller serialises against requests.
        kernel::error::to_result(unsafe { bindings::skcipher_set_data_unit_size(self.raw(), size) })
    }

    /// The IV size in bytes.
    pub(crate) fn iv_size(&self) -> u32 {
        // SAFETY: The transform is valid.
        unsafe { bindings::crypto_skcipher_ivsize(self.raw()) }
    }

    /// Whether the implementation may complete requests asynchronously (`CRYPTO_ALG_ASYNC`).
    /// A transform without it finishes every request before `crypto_skcipher_encrypt` (or
    /// `decrypt`) returns.
    #[inline]
    pub(crate) fn is_async(&self) -> bool {
        self.is_async
    }

    /// The block size in bytes.
    pub(crate) fn block_size(&self) -> u32 {
        // SAFETY: The transform is valid.
        unsafe { bindings::crypto_skcipher_blocksize(self.raw()) }
    }

    /// The alignment mask data and IV must satisfy.
    pub(crate) fn align_mask(&self) -> u32 {
        // SAFETY: The transform is valid.
        unsafe { bindings::crypto_skcipher_alignmask(self.raw()) }
    }

    /// The size of the implementation's per-request context.
    pub(crate) fn req_size(&self) -> u32 {
        // SAFETY: The transform is valid.
        unsafe { bindings::crypto_skcipher_reqsize(self.raw()) }
    }

    /// Encrypts one all-zero block of `out.len()` bytes with `iv` into `out`, and waits for
    /// it (the encrypted byte-offset IV, `crypt_iv_eboiv_gen`). The request and buffers come
    /// from `gfp`; may sleep if `gfp` may, or if the transform is asynchronous.
    ///
    /// `out` must be at most [`MAX_IV_SIZE`] bytes and `iv` the transform's IV size.
    pub(crate) fn encrypt_zeros_wait(&self, gfp: Gfp, iv: &[u8], out: &mut [u8]) -> Result {
        let len = out.len();
        if len > MAX_IV_SIZE || iv.len() > MAX_IV_SIZE {
            return Err(EINVAL);
        }
        // One allocation, as in C: the request with its context, then the IV, then the output.
        let reqsize = size_of::<bindings::skcipher_request>() + self.req_size() as usize;
        let reqsize = reqsize.next_multiple_of(size_of::<u64>());
        let buf = SensitiveBuf::new(reqsize + 2 * MAX_IV_SIZE, gfp).ok_or(ENOMEM)?;
        let wait = Opaque::<bindings::crypto_wait>::uninit();
        let src = Opaque::<bindings::scatterlist>::uninit();
        let dst = Opaque::<bindings::scatterlist>::uninit();
        // SAFETY: `buf` holds the request (kmalloc-aligned, as C allocates it) followed by
        // two `MAX_IV_SIZE` areas; the scatterlists point at the zero page and at the output
        // area, both valid until the request finished, which `crypto_wait_req` waits for.
        // Nothing else uses the buffer meanwhile.
        let ret = unsafe {
            let base = buf.ptr.as_ptr();
            let req = base.cast::<bindings::skcipher_request>();
            let ivp = base.add(reqsize);
            let outp = ivp.add(MAX_IV_SIZE);
            core::ptr::copy_nonoverlapping(iv.as_ptr(), ivp, iv.len());
            bindings::crypto_init_wait(wait.get());
            bindings::sg_init_table(src.get(), 1);
            super::scatterlist::sg_set_page(src.get(), bindings::zero_page(), len as u32, 0);
            bindings::sg_init_one(dst.get(), outp.cast(), len as u32);
            set_tfm_callback(
                req,
                self,
                0,
                Some(bindings::crypto_req_done),
                wait.get().cast(),
            );
            set_crypt(req, src.get(), dst.get(), len as u32, ivp.cast());
            let r = bindings::crypto_wait_req(bindings::crypto_skcipher_encrypt(req), wait.get());
            core::ptr::copy_nonoverlapping(outp, out.as_mut_ptr(), len);
            r
        };
        kernel::error::to_result(ret)
    }

    /// The implementation in use (`cra_driver_name`), e.g. `xts-aes-aesni`.
    pub(crate) fn driver_name(&self) -> &CStr {
        // SAFETY: The transform is valid; the name lives as long as the algorithm, which the
        // transform holds a reference on.
        unsafe { CStr::from_char_ptr(bindings::crypto_skcipher_driver_name(self.raw())) }
    }
}

impl Transform for Tfm {
    fn request_layout(&self) -> RequestLayout {
        RequestLayout {
            request_size: size_of::<bindings::skcipher_request>() + self.req_size() as usize,
            align_mask: self.align_mask(),
            iv_size: self.iv_size(),
            aead: false,
        }
    }
}

impl Drop for Tfm {
    fn drop(&mut self) {
        // SAFETY: By the type invariant the transform is valid and not yet freed.
        unsafe { bindings::crypto_free_skcipher(self.raw()) };
    }
}

/// `CRYPTO_ALG_SKCIPHER_MULTI_DATA_UNIT`, or 0 on a kernel without it.
fn multi_data_unit_flag() -> u32 {
    // SAFETY: The helper only returns a constant.
    unsafe { bindings::skcipher_multi_data_unit_flag() }
}

/// A kmalloc'ed buffer, freed with `kfree_sensitive` (zeroed first).
///
/// # Invariants
///
/// `ptr` is a kmalloc allocation of at least the requested size, owned by this value.
struct SensitiveBuf {
    ptr: NonNull<u8>,
}

impl SensitiveBuf {
    /// `len` bytes from kmalloc with `gfp`; `None` if there are none to be had.
    fn new(len: usize, gfp: Gfp) -> Option<Self> {
        // SAFETY: Any size and flags are valid; failure returns null.
        let ptr = unsafe { bindings::__kmalloc_noprof(len, gfp.raw()) };
        // INVARIANT: A non-null result is a fresh allocation of `len` bytes.
        Some(Self {
            ptr: NonNull::new(ptr.cast())?,
        })
    }
}

impl Drop for SensitiveBuf {
    fn drop(&mut self) {
        // SAFETY: By the type invariant `ptr` is a kmalloc allocation we own.
        unsafe { bindings::kfree_sensitive(self.ptr.as_ptr().cast()) };
    }
}

/// Sets the transform and the completion of `req` (`skcipher_request_set_tfm` and
/// `skcipher_request_set_callback`, written out: every bio's first request is set up anew,
/// and this is the module's only copy of them).
///
/// # Safety
///
/// `req` must be valid for writes, not in flight, and of `tfm`'s request size.
#[inline]
pub(crate) unsafe fn set_tfm_callback(
    req: *mut bindings::skcipher_request,
    tfm: &Tfm,
    flags: u32,
    complete: bindings::crypto_completion_t,
    data: *mut c_void,
) {
    // SAFETY: `req` is valid for writes and the transform does not use it (caller).
    unsafe {
        (*req).base.tfm = tfm.base.as_ptr();
        (*req).base.complete = complete;
        (*req).base.data = data;
        (*req).base.flags = flags;
    }
}

/// Sets the data and IV of `req`: `len` bytes from `src` to `dst`
/// (`skcipher_request_set_crypt`, written out: the per-sector path sets it for every request).
///
/// # Safety
///
/// `req` must be valid for writes and not in flight.
#[inline]
pub(crate) unsafe fn set_crypt(
    req: *mut bindings::skcipher_request,
    src: *mut bindings::scatterlist,
    dst: *mut bindings::scatterlist,
    len: u32,
    iv: *mut c_void,
) {
    // SAFETY: `req` is valid for writes and the transform does not use it (caller).
    unsafe {
        (*req).src = src;
        (*req).dst = dst;
        (*req).cryptlen = len;
        (*req).iv = iv.cast();
    }
}
