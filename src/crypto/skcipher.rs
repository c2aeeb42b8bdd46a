// SPDX-License-Identifier: GPL-2.0

//! Symmetric key ciphers (`crypto_skcipher`) and their requests.
//!
//! A [`Tfm`] is a transform (an algorithm instance with its key). Requests come from a
//! [`RequestPool`], whose elements hold the C `skcipher_request` with the transform's context,
//! one source and one destination scatterlist entry, an IV buffer and a caller context `C`.
//! [`RequestBox::encrypt`]/[`RequestBox::decrypt`] return the request when the transform
//! finished synchronously; otherwise the transform owns it until it calls
//! [`RequestContext::complete`], possibly in interrupt context.

use crate::{
    bindings,
    gfp::Gfp,
    mempool::{
        Mempool,
        PoolBox, //
    },
};
use core::{
    marker::PhantomData,
    ptr::NonNull, //
};
use kernel::{
    error::from_err_ptr,
    prelude::*,
    types::Opaque, //
};

/// The largest IV a request can carry (Adiantum's is 32 bytes).
pub(crate) const MAX_IV_SIZE: usize = 32;

/// A symmetric cipher transform.
///
/// # Invariants
///
/// `tfm` is a transform allocated by `crypto_alloc_skcipher` and freed on drop.
pub(crate) struct Tfm {
    tfm: NonNull<bindings::crypto_skcipher>,
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
        // SAFETY: `name` is a valid C string.
        let tfm =
            from_err_ptr(unsafe { bindings::crypto_alloc_skcipher(name.as_char_ptr(), 0, mask) })?;
        // INVARIANT: `from_err_ptr` passed a valid transform through.
        Ok(Self {
            // SAFETY: A successful allocation is never null.
            tfm: unsafe { NonNull::new_unchecked(tfm) },
        })
    }

    fn raw(&self) -> *mut bindings::crypto_skcipher {
        self.tfm.as_ptr()
    }

    /// Sets the key. Must not race with requests on this transform.
    pub(crate) fn set_key(&self, key: &[u8]) -> Result {
        // SAFETY: The transform is valid; `key` is readable for its length.
        kernel::error::to_result(unsafe {
            bindings::crypto_skcipher_setkey(self.raw(), key.as_ptr(), key.len() as c_uint)
        })
    }

    /// The IV size in bytes.
    pub(crate) fn iv_size(&self) -> u32 {
        // SAFETY: The transform is valid.
        unsafe { bindings::crypto_skcipher_ivsize(self.raw()) }
    }

    /// Whether the implementation may complete requests asynchronously (`CRYPTO_ALG_ASYNC`).
    pub(crate) fn is_async(&self) -> bool {
        // SAFETY: The transform is valid.
        unsafe { bindings::crypto_skcipher_is_async(self.raw()) }
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
            bindings::sg_set_page(src.get(), bindings::zero_page(), len as u32, 0);
            bindings::sg_init_one(dst.get(), outp.cast(), len as u32);
            bindings::skcipher_request_set_tfm(req, self.raw());
            bindings::skcipher_request_set_callback(
                req,
                0,
                Some(bindings::crypto_req_done),
                wait.get().cast(),
            );
            bindings::skcipher_request_set_crypt(req, src.get(), dst.get(), len as u32, ivp.cast());
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

impl Drop for Tfm {
    fn drop(&mut self) {
        // SAFETY: By the type invariant the transform is valid and not yet freed.
        unsafe { bindings::crypto_free_skcipher(self.raw()) };
    }
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

/// One scatterlist entry: `len` bytes at `offset` in `page`.
#[derive(Clone, Copy)]
pub(crate) struct SgEntry {
    pub(crate) page: *mut bindings::page,
    pub(crate) offset: u32,
    pub(crate) len: u32,
}

/// The caller's context of a request.
pub(crate) trait RequestContext: Sized + Send {
    /// An asynchronous request finished with `result`. May run in interrupt context: must not
    /// sleep and must not submit I/O.
    fn complete(req: RequestBox<Self>, result: Result);

    /// A request that was backlogged (`-EBUSY`) is now being processed.
    fn backlog_started(&self);
}

/// The fixed part of a pool element; the C request and its context follow at `req_offset`.
#[repr(C)]
struct Header<C> {
    iv: Iv,
    sg_in: Opaque<bindings::scatterlist>,
    sg_out: Opaque<bindings::scatterlist>,
    /// The pool the element belongs to, to rebuild the box in the completion callback.
    pool: NonNull<Mempool>,
    /// The transform the C request is set up for (tfm, callback, scatterlist tables); null
    /// while it is not. A request reused for the next sector skips that set-up.
    prepared: *mut bindings::crypto_skcipher,
    req_offset: usize,
    ctx: C,
}

#[repr(C, align(8))]
struct Iv([u8; MAX_IV_SIZE]);

/// A pool of cipher requests with context `C`.
#[pin_data]
pub(crate) struct RequestPool<C: RequestContext> {
    #[pin]
    pool: Mempool,
    req_offset: usize,
    _c: PhantomData<C>,
}

impl<C: RequestContext> RequestPool<C> {
    /// Offset of the C request in an element.
    const fn req_offset() -> usize {
        let min = bindings::CRYPTO_MINALIGN;
        (size_of::<Header<C>>() + min - 1) & !(min - 1)
    }

    /// A pool for requests on `tfm` (and transforms of the same algorithm) with `min_nr` in
    /// reserve.
    ///
    /// Fails with `EINVAL` if the transform needs more IV alignment than an element offers.
    pub(crate) fn new(min_nr: u32, tfm: &Tfm) -> Result<impl PinInit<Self, Error>> {
        if tfm.align_mask() as usize >= align_of::<Iv>() || tfm.iv_size() as usize > MAX_IV_SIZE {
            return Err(EINVAL);
        }
        let size =
            Self::req_offset() + size_of::<bindings::skcipher_request>() + tfm.req_size() as usize;
        Ok(try_pin_init!(Self {
            pool <- Mempool::new_kmalloc(min_nr, size),
            req_offset: Self::req_offset(),
            _c: PhantomData,
        }))
    }

    /// Allocates a request with context `ctx`; `None` only if `gfp` cannot sleep.
    pub(crate) fn alloc(&self, gfp: Gfp, ctx: C) -> Option<RequestBox<C>> {
        let el = self.pool.alloc::<Header<C>>(gfp)?;
        let el = el.write(Header {
            iv: Iv([0; MAX_IV_SIZE]),
            sg_in: Opaque::uninit(),
            sg_out: Opaque::uninit(),
            pool: NonNull::from(&self.pool),
            prepared: core::ptr::null_mut(),
            req_offset: self.req_offset,
            ctx,
        });
        // INVARIANT: A fresh element of this pool with an initialised header.
        Some(RequestBox { el })
    }

    /// Returns a request to the pool.
    pub(crate) fn free(&self, req: RequestBox<C>) {
        self.pool.free(req.el);
    }
}

/// An owned cipher request.
///
/// # Invariants
///
/// `el` is an element of a [`RequestPool<C>`] at least `el.req_offset +
/// sizeof(skcipher_request) + reqsize` bytes long, for the transforms it is used with.
pub(crate) struct RequestBox<C: RequestContext> {
    el: PoolBox<Header<C>>,
}

/// The outcome of submitting a request.
pub(crate) enum Submitted<C: RequestContext> {
    /// The transform finished synchronously; the request is back.
    Done(RequestBox<C>, Result),
    /// The transform took the request; [`RequestContext::complete`] will be called.
    InProgress,
    /// The transform backlogged the request; [`RequestContext::backlog_started`] and then
    /// [`RequestContext::complete`] will be called. The caller should wait for the former
    /// before submitting more.
    Backlogged,
}

impl<C: RequestContext> RequestBox<C> {
    /// The caller's context.
    pub(crate) fn ctx(&self) -> &C {
        &self.el.ctx
    }

    /// The caller's context, mutably.
    pub(crate) fn ctx_mut(&mut self) -> &mut C {
        &mut self.el.ctx
    }

    /// The destination of the request's last operation.
    pub(crate) fn dst(&self) -> SgEntry {
        // `sg_out` was set up by `submit` (a request is only completed after one), and the
        // box owns the element.
        let sg = self.el.sg_out.get();
        // SAFETY: As above: an initialised scatterlist entry the box owns.
        unsafe {
            SgEntry {
                page: bindings::sg_page(sg),
                offset: (*sg).offset,
                len: (*sg).length,
            }
        }
    }

    /// The IV buffer ([`MAX_IV_SIZE`] bytes; the transform reads its `iv_size`).
    pub(crate) fn iv_mut(&mut self) -> &mut [u8; MAX_IV_SIZE] {
        &mut self.el.iv.0
    }

    /// Encrypts `len` bytes from `src` to `dst` with `tfm` and the IV buffer.
    ///
    /// # Safety
    ///
    /// `src` and `dst` must describe valid pages that stay valid, and are not otherwise
    /// accessed, until the request completes.
    pub(crate) unsafe fn encrypt(self, tfm: &Tfm, src: SgEntry, dst: SgEntry) -> Submitted<C> {
        // SAFETY: Forwarded from the caller.
        unsafe { self.submit(tfm, src, dst, true) }
    }

    /// Decrypts `len` bytes from `src` to `dst`; see [`RequestBox::encrypt`].
    ///
    /// # Safety
    ///
    /// As for [`RequestBox::encrypt`].
    pub(crate) unsafe fn decrypt(self, tfm: &Tfm, src: SgEntry, dst: SgEntry) -> Submitted<C> {
        // SAFETY: Forwarded from the caller.
        unsafe { self.submit(tfm, src, dst, false) }
    }

    /// # Safety
    ///
    /// As for [`RequestBox::encrypt`].
    unsafe fn submit(self, tfm: &Tfm, src: SgEntry, dst: SgEntry, encrypt: bool) -> Submitted<C> {
        // From here on the transform may own the element: keep only raw pointers.
        let (hdr, pool) = self.el.into_raw();
        let hdr = hdr.as_ptr();
        // SAFETY: `hdr` is our element with an initialised header; by the type invariant the
        // C request fits at `req_offset`. The scatterlist entries are ours to initialise, and
        // the caller guarantees the pages they describe.
        let ret = unsafe {
            let req = hdr
                .cast::<u8>()
                .add((*hdr).req_offset)
                .cast::<bindings::skcipher_request>();
            let sg_in = (*hdr).sg_in.get();
            let sg_out = (*hdr).sg_out.get();
            if (*hdr).prepared != tfm.raw() {
                // `sg_set_page` below keeps the end marks `sg_init_table` sets.
                bindings::sg_init_table(sg_in, 1);
                bindings::sg_init_table(sg_out, 1);
                bindings::skcipher_request_set_tfm(req, tfm.raw());
                bindings::skcipher_request_set_callback(
                    req,
                    bindings::CRYPTO_TFM_REQ_MAY_BACKLOG,
                    Some(Self::done_callback),
                    hdr.cast(),
                );
                (*hdr).prepared = tfm.raw();
            }
            bindings::sg_set_page(sg_in, src.page, src.len, src.offset);
            bindings::sg_set_page(sg_out, dst.page, dst.len, dst.offset);
            let iv = core::ptr::addr_of_mut!((*hdr).iv.0).cast::<c_void>();
            bindings::skcipher_request_set_crypt(req, sg_in, sg_out, src.len, iv);
            if encrypt {
                bindings::crypto_skcipher_encrypt(req)
            } else {
                bindings::crypto_skcipher_decrypt(req)
            }
        };
        if ret == -(bindings::EINPROGRESS as c_int) {
            Submitted::InProgress
        } else if ret == -(bindings::EBUSY as c_int) {
            Submitted::Backlogged
        } else {
            // SAFETY: The transform finished synchronously and does not keep the request.
            let el = unsafe { PoolBox::from_raw(NonNull::new_unchecked(hdr), pool) };
            Submitted::Done(RequestBox { el }, kernel::error::to_result(ret))
        }
    }

    /// # Safety
    ///
    /// Called by the crypto API with the `data` set in `submit`: the header of a request that
    /// the transform owns.
    unsafe extern "C" fn done_callback(data: *mut c_void, err: c_int) {
        let hdr = data.cast::<Header<C>>();
        if err == -(bindings::EINPROGRESS as c_int) {
            // SAFETY: The request is still the transform's; we only read the context.
            C::backlog_started(unsafe { &(*hdr).ctx });
            return;
        }
        // SAFETY: The transform hands the request back: rebuild the box `submit` gave up. The
        // header records the pool the element came from.
        let el = unsafe { PoolBox::from_raw(NonNull::new_unchecked(hdr), (*hdr).pool) };
        C::complete(RequestBox { el }, kernel::error::to_result(err));
    }
}
