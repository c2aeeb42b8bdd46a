// SPDX-License-Identifier: GPL-2.0

//! Cipher requests for symmetric ciphers and AEADs, from a mempool.
//!
//! A [`RequestPool`] hands out elements that hold an IV buffer, room for the AEAD associated
//! data, the source and destination scatterlists, a caller context `C`, and the C request
//! (`skcipher_request` or `aead_request`) with the transform's own context. A table uses one
//! kind of transform, so a pool serves one kind. The same element can also be built in memory
//! the caller provides ([`RequestPool::init_in`]): dm-crypt keeps its first request in the
//! per-bio data, so that a bio whose cipher finishes synchronously allocates none.
//! [`RequestBox::skcipher`] and [`RequestBox::aead`] return the request when the transform
//! finished synchronously; otherwise the transform owns it until it calls
//! [`RequestContext::complete`], possibly in interrupt context.
//!
//! C headers: [`include/crypto/skcipher.h`](srctree/include/crypto/skcipher.h),
//! [`include/crypto/aead.h`](srctree/include/crypto/aead.h)

use super::{
    aead::AeadTfm,
    sg_table::SgTables,
    skcipher::Tfm, //
};
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
    mem::MaybeUninit,
    ptr::NonNull, //
};
use kernel::{
    prelude::*,
    types::Opaque, //
};

/// The largest IV a request can carry (Adiantum's is 32 bytes).
pub(crate) const MAX_IV_SIZE: usize = 32;
/// The largest associated data of an AEAD request: dm-crypt authenticates the sector number
/// (8 bytes) and the IV.
pub(crate) const MAX_AAD_SIZE: usize = 8 + MAX_IV_SIZE;

/// What a pool needs to know of a transform to size its requests.
#[derive(Clone, Copy)]
pub(crate) struct RequestLayout {
    /// The size of the C request with the implementation's context.
    pub(crate) request_size: usize,
    /// The alignment mask data and IV must satisfy.
    pub(crate) align_mask: u32,
    /// The IV size in bytes.
    pub(crate) iv_size: u32,
    /// Whether the requests are AEAD requests (which need room for more).
    pub(crate) aead: bool,
}

/// A transform whose requests a [`RequestPool`] holds.
pub(crate) trait Transform {
    /// How its requests are laid out.
    fn request_layout(&self) -> RequestLayout;
}

/// One scatterlist entry in a page: `len` bytes at `offset` in `page`.
#[derive(Clone, Copy)]
pub(crate) struct SgEntry {
    pub(crate) page: *mut bindings::page,
    pub(crate) offset: u32,
    pub(crate) len: u32,
}

/// One scatterlist entry in directly mapped kernel memory (kmalloc): `len` bytes at `ptr`.
#[derive(Clone, Copy)]
pub(crate) struct SgBuf {
    pub(crate) ptr: *mut u8,
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

/// Scatterlist entries per direction of an AEAD request: the associated data, the data and
/// the tag.
const AEAD_SG_ENTRIES: usize = 3;

/// The fixed part of a pool element. A pool for AEAD requests puts an [`AeadPart`] at
/// `aead_offset`; the C request and its context follow at `req_offset`. Symmetric cipher
/// requests, the common case, stay small: one element of the smaller kmalloc caches.
#[repr(C)]
struct Header<C> {
    /// The IV the transform works with (and may change).
    iv: Iv,
    /// The scatterlists of a symmetric cipher request (one entry each).
    sg_in: Opaque<bindings::scatterlist>,
    sg_out: Opaque<bindings::scatterlist>,
    /// The data destination of the last operation (for post-processing on completion).
    dst: SgEntry,
    /// The scatterlists of a multi-data-unit request in flight ([`RequestBox::skcipher_units`]).
    tables: Option<SgTables>,
    /// The pool the element belongs to; `None` for one built in the caller's memory.
    pool: Option<NonNull<Mempool>>,
    /// The transform the C request is set up for (tfm, callback, scatterlist tables); null
    /// while it is not. A request reused for the next sector skips that set-up.
    prepared: *mut c_void,
    req_offset: u32,
    /// Where the [`AeadPart`] is; 0 in a pool of symmetric cipher requests.
    aead_offset: u32,
    ctx: C,
}

impl<C> Header<C> {
    /// Ends the header where it is: drops what it owns and moves the context out, so that the
    /// context is dropped (maybe with the last reference to the header's memory) after it.
    ///
    /// # Safety
    ///
    /// `hdr` must be a valid header owned by the caller, which is not used afterwards.
    unsafe fn take_ctx(hdr: *mut Self) -> C {
        // SAFETY: A valid header, ours, used no more (caller): each field is dropped or moved
        // out once; the others are plain data.
        unsafe {
            core::ptr::drop_in_place(&raw mut (*hdr).tables);
            core::ptr::read(&raw const (*hdr).ctx)
        }
    }
}

/// What an AEAD request needs beyond [`Header`].
#[repr(C)]
struct AeadPart {
    /// The associated data.
    aad: Aad,
    sg_in: [Opaque<bindings::scatterlist>; AEAD_SG_ENTRIES],
    sg_out: [Opaque<bindings::scatterlist>; AEAD_SG_ENTRIES],
}

#[repr(C, align(8))]
struct Iv([u8; MAX_IV_SIZE]);

#[repr(C, align(8))]
struct Aad([u8; MAX_AAD_SIZE]);

/// A pool of cipher requests with context `C`.
#[pin_data]
pub(crate) struct RequestPool<C: RequestContext> {
    #[pin]
    pool: Mempool,
    req_offset: u32,
    aead_offset: u32,
    size: usize,
    _c: PhantomData<C>,
}

/// `n` rounded up to `CRYPTO_MINALIGN`.
const fn crypto_align(n: usize) -> usize {
    let min = bindings::CRYPTO_MINALIGN;
    (n + min - 1) & !(min - 1)
}

impl<C: RequestContext> RequestPool<C> {
    /// A pool for requests laid out as `layout` (a transform's), with `min_nr` in reserve.
    ///
    /// Fails with `EINVAL` if the transform needs more IV alignment than an element offers.
    pub(crate) fn new(min_nr: u32, layout: RequestLayout) -> Result<impl PinInit<Self, Error>> {
        if layout.align_mask as usize >= align_of::<Iv>() || layout.iv_size as usize > MAX_IV_SIZE {
            return Err(EINVAL);
        }
        let (aead_offset, req_offset, size) = Self::offsets(layout);
        Ok(try_pin_init!(Self {
            pool <- Mempool::new_kmalloc(min_nr, size),
            req_offset: req_offset as u32,
            aead_offset: aead_offset as u32,
            size,
            _c: PhantomData,
        }))
    }

    /// Where the AEAD part and the C request go, and the element size, for `layout`.
    fn offsets(layout: RequestLayout) -> (usize, usize, usize) {
        let header = crypto_align(size_of::<Header<C>>());
        let (aead_offset, req_offset) = if layout.aead {
            (header, crypto_align(header + size_of::<AeadPart>()))
        } else {
            (0, header)
        };
        (aead_offset, req_offset, req_offset + layout.request_size)
    }

    /// The size of an element for requests laid out as `layout` (what [`RequestPool::init_in`]
    /// needs), a multiple of `CRYPTO_MINALIGN`.
    pub(crate) fn element_size(layout: RequestLayout) -> usize {
        crypto_align(Self::offsets(layout).2)
    }

    /// The size of this pool's elements.
    pub(crate) fn size(&self) -> usize {
        crypto_align(self.size)
    }

    /// Allocates a request with context `ctx`; `None` only if `gfp` cannot sleep.
    pub(crate) fn alloc(&self, gfp: Gfp, ctx: C) -> Option<RequestBox<C>> {
        let (hdr, pool) = self.pool.alloc::<Header<C>>(gfp)?.into_raw();
        // SAFETY: A fresh element of this pool, ours and of this pool's element size.
        Some(unsafe { self.init_at(hdr.cast(), Some(pool), ctx) })
    }

    /// Builds a request with context `ctx` in the caller's memory at `mem`. [`RequestPool::free`]
    /// hands the context back instead of freeing the memory.
    ///
    /// # Safety
    ///
    /// `mem` must be aligned to `CRYPTO_MINALIGN`, valid for writes of [`RequestPool::size`]
    /// bytes, and the caller's, unused, until the request is given to [`RequestPool::free`].
    pub(crate) unsafe fn init_in(&self, mem: NonNull<u8>, ctx: C) -> RequestBox<C> {
        // SAFETY: Forwarded from the caller.
        unsafe { self.init_at(mem.cast(), None, ctx) }
    }

    /// # Safety
    ///
    /// `hdr` must be aligned to `CRYPTO_MINALIGN`, valid for writes of the pool's element size
    /// and owned by the caller: an element of `pool`, or the caller's memory if that is `None`.
    unsafe fn init_at(
        &self,
        hdr: NonNull<MaybeUninit<Header<C>>>,
        pool: Option<NonNull<Mempool>>,
        ctx: C,
    ) -> RequestBox<C> {
        const { assert!(align_of::<Header<C>>() <= bindings::CRYPTO_MINALIGN) };
        let hdr = hdr.cast::<Header<C>>();
        // SAFETY: `hdr` is valid for writes and aligned (caller; `CRYPTO_MINALIGN` is enough
        // for a `Header`, asserted above).
        unsafe {
            hdr.as_ptr().write(Header {
                iv: Iv([0; MAX_IV_SIZE]),
                sg_in: Opaque::uninit(),
                sg_out: Opaque::uninit(),
                dst: SgEntry {
                    page: core::ptr::null_mut(),
                    offset: 0,
                    len: 0,
                },
                tables: None,
                pool,
                prepared: core::ptr::null_mut(),
                req_offset: self.req_offset,
                aead_offset: self.aead_offset,
                ctx,
            })
        };
        if self.aead_offset != 0 {
            let hdr = hdr.as_ptr();
            // SAFETY: The element was sized by `new` for an `AeadPart` at `aead_offset`
            // (aligned to `CRYPTO_MINALIGN`, enough for it) and is ours.
            unsafe {
                hdr.cast::<u8>()
                    .add(self.aead_offset as usize)
                    .cast::<AeadPart>()
                    .write(AeadPart {
                        aad: Aad([0; MAX_AAD_SIZE]),
                        sg_in: [const { Opaque::uninit() }; AEAD_SG_ENTRIES],
                        sg_out: [const { Opaque::uninit() }; AEAD_SG_ENTRIES],
                    })
            };
        }
        // INVARIANT: Memory of this pool's element size, owned as `pool` says, with an
        // initialised header (and AEAD part).
        RequestBox { hdr }
    }

    /// Ends a request that is not in flight. A pool element goes back to the pool, with its
    /// context, and `None` is returned; a request built by [`RequestPool::init_in`] hands its
    /// context back, and its memory is the caller's again.
    ///
    /// # Panics
    ///
    /// If `req` came from another pool (a bug).
    #[must_use = "the memory of a request built by `init_in` is the caller's to release"]
    pub(crate) fn free(&self, req: RequestBox<C>) -> Option<C> {
        let hdr = req.into_raw().as_ptr();
        // SAFETY: The request was ours (type invariant of `RequestBox`) and is not in flight:
        // its header is valid, and nothing else uses it.
        unsafe {
            match (*hdr).pool {
                Some(pool) => {
                    // SAFETY: An element of `pool` holding a valid header (type invariant).
                    self.pool
                        .free(PoolBox::from_raw(NonNull::new_unchecked(hdr), pool));
                    None
                }
                // Out of the caller's memory before it is the caller's again: the context
                // may hold the last reference to what contains that memory.
                None => Some(Header::take_ctx(hdr)),
            }
        }
    }
}

/// An owned cipher request.
///
/// # Invariants
///
/// `hdr` points to an initialised header, owned by the box, at the start of the memory of a
/// request: an element of the pool `hdr.pool`, or memory its [`RequestPool::init_in`] caller
/// provided if that is `None`; at least `hdr.req_offset` plus the request size of the
/// transforms it is used with, with an initialised [`AeadPart`] at `hdr.aead_offset` unless
/// that is 0.
pub(crate) struct RequestBox<C: RequestContext> {
    hdr: NonNull<Header<C>>,
}

// SAFETY: A `RequestBox` owns its header, whose context is `Send`; the rest is plain data.
unsafe impl<C: RequestContext> Send for RequestBox<C> {}

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

/// The operation [`RequestBox::submit`] runs.
enum Op<'a> {
    Skcipher(&'a Tfm),
    /// On the scatterlists in `Header::tables`.
    SkcipherUnits(&'a Tfm),
    Aead {
        tfm: &'a AeadTfm,
        aad_len: u32,
        tag: SgBuf,
    },
}

impl<C: RequestContext> RequestBox<C> {
    /// Gives up ownership (for the transform, or for [`RequestPool::free`]).
    fn into_raw(self) -> NonNull<Header<C>> {
        let hdr = self.hdr;
        core::mem::forget(self);
        hdr
    }

    /// The header.
    fn el(&self) -> &Header<C> {
        // SAFETY: The header is valid and owned by the box (type invariant).
        unsafe { self.hdr.as_ref() }
    }

    /// The header, mutably.
    fn el_mut(&mut self) -> &mut Header<C> {
        // SAFETY: The header is valid and owned by the box (type invariant).
        unsafe { self.hdr.as_mut() }
    }

    /// The caller's context.
    pub(crate) fn ctx(&self) -> &C {
        &self.el().ctx
    }

    /// The caller's context, mutably.
    pub(crate) fn ctx_mut(&mut self) -> &mut C {
        &mut self.el_mut().ctx
    }

    /// The data destination of the request's last operation.
    pub(crate) fn dst(&self) -> SgEntry {
        self.el().dst
    }

    /// The IV buffer ([`MAX_IV_SIZE`] bytes; the transform reads its `iv_size`).
    pub(crate) fn iv_mut(&mut self) -> &mut [u8; MAX_IV_SIZE] {
        &mut self.el_mut().iv.0
    }

    /// The AEAD part, in a pool of AEAD requests.
    fn aead_part(&mut self) -> Option<*mut AeadPart> {
        let offset = self.el().aead_offset as usize;
        let hdr = self.hdr.as_ptr();
        // SAFETY: By the type invariant an `AeadPart` lives at a non-zero `aead_offset`.
        (offset != 0).then(|| unsafe { hdr.cast::<u8>().add(offset).cast::<AeadPart>() })
    }

    /// The associated data buffer of an AEAD request (`None` in a pool of symmetric cipher
    /// requests).
    pub(crate) fn aad_mut(&mut self) -> Option<&mut [u8; MAX_AAD_SIZE]> {
        // SAFETY: The part is initialised and owned by the box (type invariant), borrowed
        // mutably with it.
        self.aead_part().map(|p| unsafe { &mut (*p).aad.0 })
    }

    /// Encrypts (or decrypts) `src.len` bytes from `src` to `dst` with `tfm` and the IV buffer.
    ///
    /// # Safety
    ///
    /// `src` and `dst` must describe valid pages that stay valid, and are not otherwise
    /// accessed, until the request completes.
    #[inline]
    pub(crate) unsafe fn skcipher(
        self,
        tfm: &Tfm,
        src: SgEntry,
        dst: SgEntry,
        encrypt: bool,
    ) -> Submitted<C> {
        // SAFETY: Forwarded from the caller.
        unsafe { self.submit(Op::Skcipher(tfm), src, dst, encrypt) }
    }

    /// Encrypts (or decrypts) `len` bytes from `tables.src` to `tables.dst` (in place without
    /// one) with `tfm`, a transform set to data units ([`Tfm::set_data_unit_size`]); the IV
    /// buffer holds the first data unit's IV. The request keeps the tables until it is done.
    ///
    /// # Safety
    ///
    /// The pages the tables describe must stay valid, and not otherwise accessed, until the
    /// request completes.
    pub(crate) unsafe fn skcipher_units(
        mut self,
        tfm: &Tfm,
        tables: SgTables,
        len: u32,
        encrypt: bool,
    ) -> Submitted<C> {
        self.el_mut().tables = Some(tables);
        let none = SgEntry {
            page: core::ptr::null_mut(),
            offset: 0,
            len,
        };
        // SAFETY: Forwarded from the caller; `submit` takes the scatterlists from the header.
        match unsafe { self.submit(Op::SkcipherUnits(tfm), none, none, encrypt) } {
            Submitted::Done(mut req, result) => {
                // Finished: the tables go now, not when the request is next used.
                req.el_mut().tables = None;
                Submitted::Done(req, result)
            }
            pending => pending,
        }
    }

    /// An AEAD request with `tfm`: the first `aad_len` bytes of the associated data buffer
    /// are authenticated, `src.len` bytes from `src` are encrypted to `dst` and the tag is
    /// written to `tag` (encryption), or the data and tag are checked and decrypted.
    ///
    /// # Safety
    ///
    /// As for [`RequestBox::skcipher`]; `tag` must be kmalloc'ed memory with the same rules.
    pub(crate) unsafe fn aead(
        self,
        tfm: &AeadTfm,
        aad_len: u32,
        src: SgEntry,
        dst: SgEntry,
        tag: SgBuf,
        encrypt: bool,
    ) -> Submitted<C> {
        if self.el().aead_offset == 0 {
            // Not a pool for AEAD requests.
            return Submitted::Done(self, Err(EINVAL));
        }
        let op = Op::Aead { tfm, aad_len, tag };
        // SAFETY: Forwarded from the caller.
        unsafe { self.submit(op, src, dst, encrypt) }
    }

    /// # Safety
    ///
    /// As for [`RequestBox::aead`].
    // Inline in each caller: each passes one kind of `op`, and the code of the others goes.
    #[inline(always)]
    unsafe fn submit(self, op: Op<'_>, src: SgEntry, dst: SgEntry, encrypt: bool) -> Submitted<C> {
        // From here on the transform may own the element: keep only raw pointers.
        let hdr = self.into_raw().as_ptr();
        // SAFETY: `hdr` is our element with an initialised header; by the type invariant the
        // C request fits at `req_offset`. The scatterlist entries are ours to initialise, and
        // the caller guarantees the memory they describe.
        let ret = unsafe {
            (*hdr).dst = dst;
            let req = hdr
                .cast::<u8>()
                .add((*hdr).req_offset as usize)
                .cast::<c_void>();
            let iv = core::ptr::addr_of_mut!((*hdr).iv.0).cast::<c_void>();
            match op {
                Op::Skcipher(tfm) | Op::SkcipherUnits(tfm) => {
                    let req = req.cast::<bindings::skcipher_request>();
                    let mut sg_in = (*hdr).sg_in.get();
                    let mut sg_out = (*hdr).sg_out.get();
                    if (*hdr).prepared != tfm.raw().cast() {
                        // `sg_set_page` below keeps the end marks `sg_init_table` sets.
                        super::scatterlist::sg_init_table(sg_in, 1);
                        super::scatterlist::sg_init_table(sg_out, 1);
                        super::skcipher::set_tfm_callback(
                            req,
                            tfm,
                            bindings::CRYPTO_TFM_REQ_MAY_BACKLOG,
                            Some(Self::done_callback),
                            hdr.cast(),
                        );
                        (*hdr).prepared = tfm.raw().cast();
                    }
                    // `skcipher_units`, the only maker of `SkcipherUnits`, set the tables.
                    match &(*hdr).tables {
                        Some(t) if matches!(op, Op::SkcipherUnits(_)) => {
                            sg_in = t.src.raw();
                            sg_out = t.dst.as_ref().map_or(sg_in, |d| d.raw());
                        }
                        _ => {
                            super::scatterlist::sg_set_page(sg_in, src.page, src.len, src.offset);
                            super::scatterlist::sg_set_page(sg_out, dst.page, dst.len, dst.offset);
                        }
                    }
                    super::skcipher::set_crypt(req, sg_in, sg_out, src.len, iv);
                    if encrypt {
                        bindings::crypto_skcipher_encrypt(req)
                    } else {
                        bindings::crypto_skcipher_decrypt(req)
                    }
                }
                Op::Aead { tfm, aad_len, tag } => {
                    let req = req.cast::<bindings::aead_request>();
                    // A pool for an AEAD has the AEAD part (`RequestLayout::aead`).
                    let part = hdr
                        .cast::<u8>()
                        .add((*hdr).aead_offset as usize)
                        .cast::<AeadPart>();
                    let sg_in = (*part).sg_in[0].get();
                    let sg_out = (*part).sg_out[0].get();
                    if (*hdr).prepared != tfm.raw().cast() {
                        super::scatterlist::sg_init_table(sg_in, AEAD_SG_ENTRIES);
                        super::scatterlist::sg_init_table(sg_out, AEAD_SG_ENTRIES);
                        bindings::aead_request_set_tfm(req, tfm.raw());
                        bindings::aead_request_set_callback(
                            req,
                            bindings::CRYPTO_TFM_REQ_MAY_BACKLOG,
                            Some(Self::done_callback),
                            hdr.cast(),
                        );
                        (*hdr).prepared = tfm.raw().cast();
                    }
                    let aad = core::ptr::addr_of_mut!((*part).aad.0).cast::<c_void>();
                    // |-- associated data --|------ data ------|-- tag --|
                    // | sector (LE) | IV    | sector in/out    | in/out  |
                    for (sg, data) in [(sg_in, src), (sg_out, dst)] {
                        bindings::sg_set_buf(sg, aad, aad_len);
                        super::scatterlist::sg_set_page(
                            sg.add(1),
                            data.page,
                            data.len,
                            data.offset,
                        );
                        bindings::sg_set_buf(sg.add(2), tag.ptr.cast(), tag.len);
                    }
                    bindings::aead_request_set_ad(req, aad_len);
                    if encrypt {
                        bindings::aead_request_set_crypt(req, sg_in, sg_out, src.len, iv.cast());
                        bindings::crypto_aead_encrypt(req)
                    } else {
                        let len = src.len + tag.len;
                        bindings::aead_request_set_crypt(req, sg_in, sg_out, len, iv.cast());
                        bindings::crypto_aead_decrypt(req)
                    }
                }
            }
        };
        if ret == -(bindings::EINPROGRESS as c_int) {
            Submitted::InProgress
        } else if ret == -(bindings::EBUSY as c_int) {
            Submitted::Backlogged
        } else {
            // SAFETY: The transform finished synchronously and does not keep the request.
            let hdr = unsafe { NonNull::new_unchecked(hdr) };
            // INVARIANT: The request `into_raw` gave up above, ours again.
            // Success without a call to `to_result`: the common case of every sector.
            let result = if ret == 0 {
                Ok(())
            } else {
                kernel::error::to_result(ret)
            };
            Submitted::Done(RequestBox { hdr }, result)
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
        // SAFETY: `data` is the header `submit` passed, not null.
        let hdr = unsafe { NonNull::new_unchecked(hdr) };
        // INVARIANT: The transform hands the request back: the box `submit` gave up.
        C::complete(RequestBox { hdr }, kernel::error::to_result(err));
    }
}

impl<C: RequestContext> Drop for RequestBox<C> {
    fn drop(&mut self) {
        pr_warn!("cipher request dropped without being freed; leaking its memory\n");
        // SAFETY: The header is valid and ours (type invariant), and not used after this.
        drop(unsafe { Header::take_ctx(self.hdr.as_ptr()) });
    }
}
