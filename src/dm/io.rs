// SPDX-License-Identifier: GPL-2.0

//! Per-I/O state of a target, reference counted.
//!
//! dm core reserves per-bio data in every bio it hands to `map`; [`MapBio::start_io`] builds an
//! [`Io`] there, so the common case allocates nothing. A target that splits the work of one
//! bio into more units (dm-crypt's write fragments) allocates further `Io`s from an
//! [`IoPool`]; each holds a reference on the per-bio `Io` it belongs to.
//!
//! References ([`ARef<Io<T>>`]) travel with the work: in bios submitted for the I/O, in crypto
//! requests, on workqueues. When the last one goes, `T` is dropped and then either the base
//! bio completes with [`IoOps::status`] or the element goes back to its pool. Since dm core
//! destroys a target only after all its bios have completed, every `Io` can lend out the
//! target's private data ([`Io::config`]).

use super::target::MapBio;
use crate::{
    bindings,
    bio::{
        Bio,
        BioEndIo,
        BlkStatus,
        BlockDevice,
        BvecIter,
        OwnedBio,
        Segment, //
    },
    crypto::{
        aead::AeadTfm,
        request::{
            RequestBox,
            RequestContext,
            RequestPool,
            SgBuf,
            SgEntry,
            Submitted, //
        },
        sg_table::{
            SgTable,
            SgTables, //
        },
        skcipher::Tfm,
        Buffers,
    },
    gfp::Gfp,
    integrity::{
        TagBuf,
        TagRange, //
    },
    mempool::{
        Mempool,
        PoolBox, //
    },
    workqueue::{
        queue_work_bh,
        queue_work_on,
        HasQueueWork,
        QueueWork, //
    },
};
use core::{
    cell::UnsafeCell,
    mem::MaybeUninit,
    ptr::NonNull, //
};
use kernel::{
    container_of,
    prelude::*,
    static_lock_class,
    sync::{
        aref::{
            ARef,
            AlwaysRefCounted, //
        },
        atomic::{
            Acquire,
            Atomic,
            Full,
            Relaxed,
            Release, //
        },
        Completion, Refcount, SetOnce,
    },
    types::Opaque,
    workqueue::Queue,
};

/// What a target does with its per-I/O state.
pub(crate) trait IoOps: Sized + Send + Sync + 'static {
    /// The target's private data, which every `Io` may borrow.
    type Config: Send + Sync + 'static;

    /// The I/O was queued on a workqueue ([`Io::queue`]) and runs now, in process context.
    fn run(io: ARef<Io<Self>>);

    /// The I/O was queued on the system BH workqueue ([`Io::queue_bh`]) and runs now, in
    /// softirq context.
    fn run_bh(io: ARef<Io<Self>>);

    /// A bio submitted for this I/O with [`OwnedBio::submit_remap`] completed (possibly in
    /// interrupt context).
    fn end_io(io: ARef<Io<Self>>, bio: OwnedBio);

    /// The base bio, lent to its device by [`MapBio::start_io_lent`], came back with `status`
    /// (possibly in interrupt context: must not sleep). Its position is consumed; its pages
    /// hold what the device read.
    fn lent_end_io(io: ARef<Io<Self>>, status: BlkStatus);

    /// The status the base bio completes with, asked when the last reference to the per-bio
    /// `Io` goes.
    fn status(&self) -> BlkStatus;

    /// The pool the requests of [`RequestSlot`] come from.
    fn request_pool(config: &Self::Config) -> &RequestPool<IoReq<Self>>;

    /// Writes the IV for the request of [`RequestSlot::crypt`] on `sector` (the number the
    /// caller passed) into `iv`, before the request is submitted. `data` gives access to the
    /// request's source and destination bytes, which the generator may read or preprocess.
    fn generate_iv(
        io: &Io<Self>,
        sector: u64,
        encrypt: bool,
        iv: &mut [u8],
        data: SectorData<'_>,
    ) -> Result;

    /// Post-processes the destination `dst` of a request on `sector` that succeeded, right
    /// after the cipher (possibly in interrupt context: must not sleep). Only called when
    /// [`IoOps::wants_post`] says so.
    fn post(_io: &Io<Self>, _sector: u64, _encrypt: bool, _dst: &mut [u8]) {}

    /// Whether requests of this I/O need [`IoOps::post`].
    fn wants_post(_io: &Io<Self>) -> bool {
        false
    }

    /// A request of [`RequestSlot::crypt`] on `sector` that went asynchronous finished with
    /// `result` (possibly in interrupt context: must not sleep nor submit I/O). The request is
    /// already freed.
    fn crypt_done(io: ARef<Io<Self>>, result: Result, sector: u64);

    /// Whether I/Os of a target with private data `config` may wait for their own
    /// asynchronous work ([`Io::wait_done`]): only theirs get a completion set up.
    fn waits(_config: &Self::Config) -> bool {
        false
    }
}

/// Where in an [`Io`]'s data a request reads or writes.
#[derive(Clone, Copy)]
pub(crate) enum Place<'p> {
    /// The base bio, at this position.
    Base(&'p BvecIter),
    /// The out bio ([`Io::set_out_bio`]), at this position.
    Out(&'p BvecIter),
}

impl Place<'_> {
    /// Whether both are the same position (of the same bio): a request from one to the other
    /// works in place.
    fn same(self, other: Place<'_>) -> bool {
        match (self, other) {
            (Place::Base(a), Place::Base(b)) | (Place::Out(a), Place::Out(b)) => {
                core::ptr::eq(a, b)
            }
            _ => false,
        }
    }
}

/// The cipher of a [`SectorRequest`].
#[derive(Clone, Copy)]
pub(crate) enum Cipher<'a> {
    /// A symmetric cipher.
    Skcipher(&'a Tfm),
    /// An AEAD: the associated data is `aad_sector` (little endian) and the IV; the tag is
    /// the first `tag_size` bytes of the request's metadata.
    Aead {
        tfm: &'a AeadTfm,
        tag_size: u32,
        aad_sector: u64,
    },
}

impl Cipher<'_> {
    /// Whether the transform may finish requests asynchronously.
    fn is_async(&self) -> bool {
        match self {
            Cipher::Skcipher(tfm) => tfm.is_async(),
            Cipher::Aead { tfm, .. } => tfm.is_async(),
        }
    }
}

/// One sector's cipher request (`crypt_convert_block_*`).
#[derive(Clone, Copy)]
pub(crate) struct SectorRequest<'a> {
    pub(crate) cipher: Cipher<'a>,
    pub(crate) src: Place<'a>,
    pub(crate) dst: Place<'a>,
    /// The sector size in bytes.
    pub(crate) len: u32,
    pub(crate) encrypt: bool,
    /// Handed to [`IoOps::generate_iv`] and [`IoOps::post`] (dm-crypt: the IV sector).
    pub(crate) sector: u64,
    /// The sector's integrity metadata, if the device keeps any: the AEAD tag and a stored IV.
    pub(crate) metadata: Option<TagRange>,
}

/// A request over several sectors (the multi-data-unit path's crypto API backend): `tfm`
/// takes the `len` bytes as data units of its data-unit size, the first with `iv`, each next
/// one with the IV counted up by one.
#[derive(Clone, Copy)]
pub(crate) struct UnitsRequest<'a> {
    pub(crate) tfm: &'a Tfm,
    pub(crate) src: Place<'a>,
    pub(crate) dst: Place<'a>,
    pub(crate) len: u32,
    pub(crate) encrypt: bool,
    pub(crate) iv: [u8; 16],
    /// Handed to [`IoOps::crypt_done`] (dm-crypt: the first IV sector).
    pub(crate) sector: u64,
}

/// The source and destination bytes of a request about to be submitted, for
/// [`IoOps::generate_iv`].
///
/// # Invariants
///
/// `src` and `dst` are segments of at least `len` bytes of the I/O's pages, and `metadata` a
/// range of the I/O's tag buffer, valid and not accessed by anything else while the value
/// lives (the request is not submitted yet, and each range of an I/O is converted once).
pub(crate) struct SectorData<'a> {
    src: Segment,
    dst: Segment,
    len: u32,
    gfp: Gfp,
    /// The sector's integrity metadata, used by nothing else while the value lives.
    metadata: Option<TagRange>,
    /// Set when the generator prepared the data in the destination: the cipher then works in
    /// place there.
    in_place: &'a mut bool,
}

impl SectorData<'_> {
    /// The same access, for a callee.
    pub(crate) fn reborrow(&mut self) -> SectorData<'_> {
        // INVARIANT: The same ranges, with `self` unusable while the result lives.
        SectorData {
            src: self.src,
            dst: self.dst,
            len: self.len,
            gfp: self.gfp,
            metadata: self.metadata,
            in_place: &mut *self.in_place,
        }
    }

    /// The allocation flags that suit the context (for a generator that allocates).
    pub(crate) fn gfp(&self) -> Gfp {
        self.gfp
    }

    /// Runs `f` on the sector's integrity metadata; `None` if it has none.
    pub(crate) fn metadata<R>(&mut self, f: impl FnOnce(&mut [u8]) -> R) -> Option<R> {
        // SAFETY: By the type invariant the tuple is alive and ours.
        self.metadata.map(|m| unsafe { m.with_bytes(f) })
    }

    /// Runs `f` on the source bytes.
    pub(crate) fn source<R>(&mut self, f: impl FnOnce(&mut [u8]) -> R) -> R {
        // SAFETY: By the type invariant the segment is valid, long enough and ours.
        // PANIC: The invariant guarantees `len` bytes, so `with_bytes` returns `Some`.
        unsafe { self.src.with_bytes(self.len, f) }.expect("segment shorter than its request")
    }

    /// Copies the source into the destination and runs `f` on the destination; the cipher
    /// then reads its input from there (dm-crypt's `CRYPT_ENCRYPT_PREPROCESS`).
    pub(crate) fn prepare_in_destination(&mut self, f: impl FnOnce(&mut [u8])) {
        let same = self.src.page == self.dst.page && self.src.offset == self.dst.offset;
        // SAFETY: As in `source`; the two segments are distinct ranges unless equal (checked),
        // each mapped once at a time.
        unsafe {
            if !same {
                let len = self.len;
                let dst = self.dst;
                self.src
                    .with_bytes(len, |s| dst.with_bytes(len, |d| copy_bytes(d, s)));
            }
            self.dst.with_bytes(self.len, f);
        }
        *self.in_place = true;
    }
}

/// Where an `Io` lives.
enum Origin<T: IoOps> {
    /// In the per-bio data of this bio (the bio dm core passed to `map`).
    PerBio(NonNull<bindings::bio>),
    /// In an element of a pool, holding a reference on the per-bio `Io`.
    Pool(ARef<Io<T>>),
}

/// The per-I/O state `T` of a target, with its reference count and work item.
///
/// # Invariants
///
/// - `config` points to the private data of the target the I/O belongs to, valid while any
///   `Io` of that bio exists (dm core destroys targets only after their bios completed).
/// - For [`Origin::PerBio`], `self` lives in that bio's per-bio data, and the bio completes
///   when the count drops to zero. For [`Origin::Pool`], `self` is the value of a [`PoolBox`]
///   of `pool`, given back when the count drops to zero.
/// - A non-null `embedded` points into the same memory, after `self`, at
///   [`Io::request_size`]`(config)` bytes aligned to `CRYPTO_MINALIGN` that belong to `self`:
///   free while `embedded_busy` is 0, else reserved by [`Io::take_embedded`] for a request of
///   the I/O's (and holding it from [`RequestPool::init_in`] to [`free_request`]).
/// - `done` holds an initialised [`Completion`] if `waits`.
/// - `saved_end_io` is written only by [`MapBio::start_io_lent`], before it submits the base
///   bio, and read only by [`Io::lent_end_io_callback`] when that bio comes back: the block
///   layer orders the two, and nothing else accesses it.
/// - `write_next` is accessed only by the holder of the reference that a
///   [`super::WriteThread`]'s list owns: the pusher before it publishes the `Io` on the list
///   (a release exchange), then the thread that took the list (an acquire exchange).
#[pin_data]
pub(crate) struct Io<T: IoOps> {
    refcount: Refcount,
    data: T,
    /// A bio the I/O writes into ([`Io::set_out_bio`]); null when none.
    out_bio: Atomic<*mut bindings::bio>,
    /// Cipher requests in flight that read or write the I/O's pages.
    inflight: Atomic<u32>,
    /// The next I/O on a [`super::WriteThread`]'s list: a plain pointer, not an atomic, so
    /// that the thread's sort costs no helper call per step.
    pub(super) write_next: UnsafeCell<*mut Io<T>>,
    /// The integrity metadata of the bio (a per-bio `Io`'s; [`Io::set_metadata`]).
    metadata: SetOnce<TagBuf>,
    /// Signalled once by [`Io::signal_done`], for a submitter that waits for the I/O's
    /// asynchronous work ([`Io::wait_done`]; dm-crypt's `ctx.restart` for zoned writes).
    /// Set up only if `waits` ([`IoOps::waits`]): a bio that never waits costs no
    /// initialisation.
    #[pin]
    done: Opaque<Completion>,
    waits: bool,
    origin: Origin<T>,
    pool: Option<NonNull<Mempool>>,
    config: NonNull<T::Config>,
    /// Room for the first request of a conversion (dm-crypt's request in the per-bio data):
    /// a bio whose cipher finishes synchronously allocates none.
    embedded: *mut u8,
    /// Whether the embedded request is in use.
    embedded_busy: Atomic<u32>,
    /// dm core's completion handler of the base bio while the bio is lent to the device
    /// ([`MapBio::start_io_lent`]).
    saved_end_io: UnsafeCell<bindings::bio_end_io_t>,
    /// The work item ([`Io::queue`], [`Io::queue_bh`]), set up when the I/O is queued.
    #[pin]
    work: QueueWork,
}

// SAFETY: `Io` hands out `&T` and `&T::Config` only, both `Sync`; the raw pointers are owned
// state with the same thread-safety as the references they stand for.
unsafe impl<T: IoOps> Send for Io<T> {}
// SAFETY: As above.
unsafe impl<T: IoOps> Sync for Io<T> {}

// SAFETY: `work` returns the `work` field, and `from_work` goes back from it.
unsafe impl<T: IoOps> HasQueueWork for Io<T> {
    unsafe fn work(this: *const Self) -> *const QueueWork {
        // SAFETY: `this` is valid (caller).
        unsafe { &raw const (*this).work }
    }

    unsafe fn from_work(work: *const QueueWork) -> *const Self {
        // SAFETY: `work` is the `work` field of an `Io` (caller).
        unsafe { container_of!(work.cast_mut(), Self, work) }
    }

    fn run(this: ARef<Self>) {
        T::run(this)
    }

    fn run_bh(this: ARef<Self>) {
        T::run_bh(this)
    }
}

impl<T: IoOps> BioEndIo for Io<T> {
    #[inline]
    fn end_io(this: ARef<Self>, bio: OwnedBio) {
        T::end_io(this, bio)
    }
}

// SAFETY: The count is a `refcount_t`; the object is freed (completed) only when it drops to
// zero.
unsafe impl<T: IoOps> AlwaysRefCounted for Io<T> {
    fn inc_ref(&self) {
        self.refcount.inc();
    }

    #[inline]
    unsafe fn dec_ref(obj: NonNull<Self>) {
        // SAFETY: The caller owns a reference, so the object is valid.
        if unsafe { obj.as_ref() }.refcount.dec_and_test() {
            // SAFETY: That was the last reference.
            unsafe { Self::release(obj) };
        }
    }
}

impl<T: IoOps> Io<T> {
    /// Completes the bio or gives the element back to its pool: the last reference went.
    ///
    /// # Safety
    ///
    /// `obj` is a valid `Io` whose count dropped to zero: the caller owns it.
    // Out of line, so that dropping a reference that is not the last stays a decrement.
    #[inline(never)]
    unsafe fn release(obj: NonNull<Self>) {
        let io = obj.as_ptr();
        // SAFETY: The caller owns the object now. The other fields need no drop: `refcount`,
        // `work` and `done` are plain C data, `pool` and `config` pointers.
        unsafe {
            let status = (*io).data.status();
            core::ptr::drop_in_place(&raw mut (*io).data);
            // No request is in flight (each holds a reference): the out bio can go, and no
            // bio uses the metadata any more. The object is ours alone: no atomic exchange.
            let out = core::mem::replace((*io).out_bio.get_mut(), core::ptr::null_mut());
            if !out.is_null() {
                // A non-null `out_bio` is a bio `set_out_bio` stored with `into_raw`, now ours.
                drop(OwnedBio::from_raw(out));
            }
            core::ptr::drop_in_place(&raw mut (*io).metadata);
            match core::ptr::read(&raw const (*io).origin) {
                Origin::PerBio(bio) => {
                    (*bio.as_ptr()).bi_status = status.to_raw();
                    bindings::bio_endio(bio.as_ptr());
                }
                Origin::Pool(base) => {
                    // By the type invariant `pool` is set and the object is one of its
                    // elements; give the memory back while the pool surely exists.
                    let pool = (*io).pool.unwrap_unchecked();
                    let el = PoolBox::<MaybeUninit<Self>>::from_raw(obj.cast(), pool);
                    pool.as_ref().free(el);
                    // The reference on the base goes last: it may complete the base bio, and
                    // with the target's last bio its private data (and the pool) may go.
                    drop(base);
                }
            }
        }
    }

    /// Queues the I/O on `which` of the target's queues (in process context), to
    /// [`IoOps::run`] there. Fails, handing the reference back, if it is queued already.
    pub(crate) fn queue(
        this: ARef<Self>,
        which: fn(&T::Config) -> &Queue,
    ) -> Result<(), ARef<Self>> {
        let queue = NonNull::from(which(this.config()));
        // SAFETY: The queue lives as long as the target's private data it is borrowed from
        // (the signature of `which`), which dm core destroys only after every bio of the
        // target completed (type invariant); this I/O's bio completes no earlier than the work
        // item has run, as the queued reference is one of its references. So no reference
        // need be held across the call.
        unsafe { queue_work_on(this, queue, c"dm::Io::work", static_lock_class!()) }
    }

    /// Queues the I/O on the system BH workqueue, to [`IoOps::run_bh`] in softirq context there.
    /// Its lockdep class is not [`Io::queue`]'s: one class used in both contexts is what
    /// lockdep reports as an inconsistent lock state. Fails as [`Io::queue`] does.
    pub(crate) fn queue_bh(this: ARef<Self>) -> Result<(), ARef<Self>> {
        queue_work_bh(this, c"dm::Io::bh_work", static_lock_class!())
    }

    /// The per-I/O state.
    pub(crate) fn data(&self) -> &T {
        &self.data
    }

    /// The target's private data.
    pub(crate) fn config(&self) -> &T::Config {
        // SAFETY: By the type invariant the private data outlives every `Io` of the target.
        unsafe { self.config.as_ref() }
    }

    /// The bio this I/O serves (for a pool `Io`, its base's). While it is lent to the device
    /// ([`MapBio::start_io_lent`]) its position is the device's: only its pages are the I/O's.
    pub(crate) fn base_bio(&self) -> &Bio {
        match &self.origin {
            // SAFETY: The bio is valid until this `Io` (in its per-bio data) goes.
            Origin::PerBio(bio) => unsafe { Bio::from_raw(bio.as_ptr()) },
            Origin::Pool(base) => base.base_bio(),
        }
    }

    /// The per-bio `Io` this one belongs to (itself for a per-bio `Io`), borrowed: no
    /// reference is taken.
    pub(crate) fn base(&self) -> &Self {
        match &self.origin {
            Origin::PerBio(_) => self,
            Origin::Pool(base) => base,
        }
    }

    /// Gives the I/O a bio to write into (the target of [`RequestSlot::crypt`] with an output).
    /// Fails, returning it, if the I/O has one already.
    pub(crate) fn set_out_bio(&self, bio: OwnedBio) -> Result<(), OwnedBio> {
        let raw = bio.into_raw();
        if self
            .out_bio
            .cmpxchg(core::ptr::null_mut(), raw, Full)
            .is_err()
        {
            // SAFETY: `raw` came from `into_raw` above and was not stored.
            return Err(unsafe { OwnedBio::from_raw(raw) });
        }
        Ok(())
    }

    /// Takes the out bio back; `None` if there is none or cipher requests that use it are in
    /// flight.
    pub(crate) fn take_out_bio(&self) -> Option<OwnedBio> {
        let raw = self.out_bio.xchg(core::ptr::null_mut(), Full);
        if raw.is_null() {
            return None;
        }
        if self.inflight.load(Relaxed) != 0 {
            // ORDERING: `RequestSlot::new` raises `inflight` before it reads `out_bio`, with a
            // full fence between: either it saw null or we see its count.
            self.out_bio.store(raw, Release);
            return None;
        }
        // SAFETY: `raw` was stored by `set_out_bio` from `into_raw`, and the exchange made it
        // ours alone.
        Some(unsafe { OwnedBio::from_raw(raw) })
    }

    /// Gives the bio its integrity metadata buffer. Fails (the buffer is freed) on a pool
    /// `Io`, or if the bio has one already.
    pub(crate) fn set_metadata(&self, tags: TagBuf) -> bool {
        matches!(self.origin, Origin::PerBio(_)) && self.metadata.populate(tags)
    }

    /// `len` bytes at `offset` of the bio's integrity metadata (the base's, for a pool `Io`).
    pub(crate) fn metadata_range(this: &ARef<Self>, offset: usize, len: usize) -> Option<TagRange> {
        this.base().metadata.as_ref()?.range(offset, len)
    }

    /// Submits `bio` for this I/O ([`OwnedBio::submit_remap`]), with `len` bytes at `offset` of
    /// the bio's integrity metadata as its payload if `metadata` says so; the bio takes the
    /// reference `this`. On failure (no metadata there, or no payload to be had with `gfp`)
    /// the bio is dropped and the reference handed back.
    #[inline(always)]
    pub(crate) fn submit(
        this: ARef<Self>,
        mut bio: OwnedBio,
        metadata: Option<(usize, usize)>,
        gfp: Gfp,
    ) -> Result<(), ARef<Self>> {
        if let Some((offset, len)) = metadata {
            let Some(range) = Self::metadata_range(&this, offset, len) else {
                return Err(this);
            };
            // SAFETY: The metadata belongs to the per-bio `Io`, which lives until its bio
            // completes; the submitted bio holds a reference on `this`, which is (or holds a
            // reference on) that `Io`, until it completes.
            if unsafe { bio.attach_integrity(range, gfp) }.is_err() {
                return Err(this);
            }
        }
        let base = this.base_bio().as_raw();
        // SAFETY: The base bio is valid now; the submitted bio's reference on `this` is what
        // keeps it so, and `submit_remap` uses it only before it submits.
        unsafe { bio.submit_remap(base, this) };
        Ok(())
    }

    /// The completion, if the I/O has one ([`IoOps::waits`]).
    fn done(&self) -> Option<&Completion> {
        // SAFETY: By the type invariant `done` is initialised if `waits`, and it lives (pinned)
        // as long as `self`.
        self.waits.then(|| unsafe { &*self.done.get() })
    }

    /// Signals a waiter of [`Io::wait_done`] (once in the I/O's life).
    pub(crate) fn signal_done(&self) {
        if let Some(done) = self.done() {
            done.complete_all();
        }
    }

    /// Waits for [`Io::signal_done`]. Sleeps: process context only. Returns at once for an
    /// I/O of a target that does not wait ([`IoOps::waits`]), which is a bug of the caller.
    pub(crate) fn wait_done(&self) {
        match self.done() {
            Some(done) => done.wait_for_completion(),
            None => kernel::pr_warn_once!("dm::Io::wait_done on an I/O without a completion\n"),
        }
    }

    /// The memory of the embedded request, if it is free; taken until [`free_request`] gives
    /// it back.
    fn take_embedded(&self) -> Option<NonNull<u8>> {
        let mem = NonNull::new(self.embedded)?;
        (self.embedded_busy.xchg(1, Acquire) == 0).then_some(mem)
    }

    /// Copies the out bio's data into the base bio, from the start of each (`bio_copy_data`),
    /// and drops the out bio. For a conversion done in a private buffer (the integrity
    /// recheck); nothing may access either bio's data meanwhile.
    pub(crate) fn copy_out_to_base(&self) -> Result {
        let out = self.take_out_bio().ok_or(EINVAL)?;
        out.copy_data_to(self.base_bio());
        Ok(())
    }

    /// Where the embedded request starts, from the start of the `Io`.
    const fn request_offset() -> usize {
        let min = bindings::CRYPTO_MINALIGN;
        (size_of::<Self>() + min - 1) & !(min - 1)
    }

    /// The size of the embedded request.
    fn request_size(config: &T::Config) -> usize {
        T::request_pool(config).size()
    }

    /// The memory an `Io<T>` takes with its embedded request, for requests of
    /// `request_size` bytes ([`RequestPool::size`]).
    pub(crate) fn size_with(request_size: usize) -> usize {
        Self::request_offset() + request_size
    }

    /// The per-bio data size dm core must reserve for an `Io<T>` of a target with private
    /// data `config`.
    pub(super) fn per_bio_size(config: &T::Config) -> usize {
        Self::size_with(Self::request_size(config))
    }

    /// The embedded request of an `Io` about to be built at `slot` in `len` bytes, for a
    /// target whose [`Io::per_bio_size`] is `need`: null if they have no room for it, or it
    /// would not be aligned.
    fn embedded_at(slot: *mut Self, len: usize, need: usize) -> *mut u8 {
        let at = slot.cast::<u8>().wrapping_add(Self::request_offset());
        let fits = len >= need;
        if fits && at.addr() % bindings::CRYPTO_MINALIGN == 0 {
            at
        } else {
            core::ptr::null_mut()
        }
    }

    /// Builds the per-bio `Io` of `bio` in its per-bio data.
    ///
    /// # Safety
    ///
    /// `bio` must be the bio dm core passed to `map` of a target whose per-bio data size is
    /// at least [`Io::per_bio_size`], and whose private data `config` is.
    // Always inline: `map` builds the `Io` in place, whichever way the bio goes on.
    #[inline(always)]
    pub(super) unsafe fn start(
        bio: &mut Bio,
        config: &T::Config,
        data: impl Init<T>,
    ) -> ARef<Self> {
        let raw = bio.as_raw();
        let len = Self::per_bio_size(config);
        // SAFETY: By the caller's guarantee the per-bio data holds `len` bytes.
        let slot = unsafe { bindings::dm_per_bio_data(raw, len) }.cast::<Self>();
        let embedded = Self::embedded_at(slot, len, len);
        // SAFETY: Same as `Self::init_at`, with the per-bio data as the slot; `embedded` is
        // null or room in it after the `Io`.
        unsafe {
            Self::init_at(
                slot,
                Origin::PerBio(NonNull::new_unchecked(raw)),
                None,
                config,
                embedded,
                data,
            )
        }
    }

    /// A further `Io` for the same bio as `base`, from `pool`; `None` only if `gfp` cannot
    /// sleep.
    pub(crate) fn new_in(
        base: &ARef<Self>,
        pool: &IoPool<T>,
        gfp: Gfp,
        data: impl Init<T>,
    ) -> Option<ARef<Self>> {
        let el = pool.pool.alloc::<Self>(gfp)?;
        let (slot, pool_ptr) = el.into_raw();
        let slot = slot.as_ptr().cast::<Self>();
        let base = ARef::from(base.base());
        let config = NonNull::from(base.config());
        // SAFETY: `config` is the base's, valid while the new `Io` holds its reference on it.
        let config = unsafe { config.as_ref() };
        let embedded = Self::embedded_at(slot, pool.size, Self::per_bio_size(config));
        // SAFETY: `slot` is a block of `pool` big enough for `Self` that we own, `embedded`
        // null or room in it after the `Io`; `config` is the base's (see above).
        Some(unsafe {
            Self::init_at(
                slot,
                Origin::Pool(base),
                Some(pool_ptr),
                config,
                embedded,
                data,
            )
        })
    }

    /// # Safety
    ///
    /// `slot` must be valid for writes of a `Self`, pinned, and live as `origin` says; a
    /// non-null `embedded` must point into the same memory, after the `Self`, at
    /// [`Io::request_size`] bytes aligned to `CRYPTO_MINALIGN` that live as long.
    unsafe fn init_at(
        slot: *mut Self,
        origin: Origin<T>,
        pool: Option<NonNull<Mempool>>,
        config: &T::Config,
        embedded: *mut u8,
        data: impl Init<T>,
    ) -> ARef<Self> {
        let waits = T::waits(config);
        let init = pin_init!(Self {
            refcount: Refcount::new(1),
            out_bio: Atomic::new(core::ptr::null_mut()),
            inflight: Atomic::new(0),
            write_next: UnsafeCell::new(core::ptr::null_mut()),
            metadata: SetOnce::new(),
            done: Opaque::uninit(),
            waits,
            origin,
            pool,
            config: NonNull::from(config),
            embedded,
            embedded_busy: Atomic::new(0),
            saved_end_io: UnsafeCell::new(None),
            work <- QueueWork::new(),
            // In place: the state is not built elsewhere and copied.
            data <- data,
        });
        // SAFETY: `slot` is valid and pinned (caller); the initialiser cannot fail.
        let _ = unsafe { init.__init(slot) };
        if waits {
            // SAFETY: `done` is a field of the pinned, initialised object that nobody else can
            // see yet; the initialiser cannot fail.
            let _ = unsafe { Completion::new().__init(Opaque::cast_into(&raw mut (*slot).done)) };
        }
        // INVARIANT: `config` is the target's private data (caller); `origin` says where the
        // object lives (caller), `embedded` where its free embedded request is (caller).
        // SAFETY: The object is initialised with a count of one, which we hand out.
        unsafe { ARef::from_raw(NonNull::new_unchecked(slot)) }
    }
}

/// A pool of further `Io`s.
#[pin_data]
pub(crate) struct IoPool<T: IoOps> {
    #[pin]
    pool: Mempool,
    /// The size of the pool's elements.
    size: usize,
    _t: core::marker::PhantomData<T>,
}

impl<T: IoOps> IoPool<T> {
    /// A pool with `min_nr` `Io`s in reserve, each with room for an embedded request of
    /// `request_size` bytes ([`RequestPool::size`] of the target's request pool).
    pub(crate) fn new(min_nr: u32, request_size: usize) -> impl PinInit<Self, Error> {
        let size = Io::<T>::size_with(request_size);
        try_pin_init!(Self {
            pool <- Mempool::new_kmalloc(min_nr, size),
            size,
            _t: core::marker::PhantomData,
        })
    }
}

impl<'a, O: super::Operations> MapBio<'a, O> {
    /// Starts the per-bio I/O of this bio with state `data`. The bio is the I/O's until its
    /// last reference goes; `map` returns [`super::MapResult::Submitted`].
    pub(crate) fn start_io(self, config: &O, data: impl Init<O::Io>) -> ARef<Io<O::Io>> {
        // SAFETY: `MapBio` is only made for the bio of `map` on a target of type `O`, whose
        // per-bio data size the `ctr` trampoline set to `Io::<O::Io>::per_bio_size(config)`,
        // and `config` is that target's private data (`map` receives it as `&self`).
        unsafe { Io::start(self.bio, config, data) }
    }

    /// Starts the per-bio I/O of this bio with state `data`, as [`MapBio::start_io`], and lends
    /// the bio itself to `bdev` at `sector`: it is submitted there (`dm_submit_bio_remap`
    /// without a clone of the target's own, as dm-verity submits its bios), and
    /// [`IoOps::lent_end_io`] gets the I/O back when the device is done with it, the bio's
    /// completion handler dm core's again. A read that shares the caller's pages so needs no
    /// clone, and no allocation that could fail. `map` returns [`super::MapResult::Submitted`].
    ///
    /// The device consumes the bio's position: the I/O keeps a copy of it if it needs one.
    /// The bio is lent once: this takes the `MapBio`.
    pub(crate) fn start_io_lent(
        self,
        config: &O,
        data: impl Init<O::Io>,
        bdev: &BlockDevice,
        sector: u64,
    ) {
        self.bio.set_dev(bdev);
        self.bio.set_sector(sector);
        let raw = self.bio.as_raw();
        // SAFETY: As in `start_io`.
        let io = unsafe { Io::start(self.bio, config, data) };
        // SAFETY: The bio is the one being mapped, whose per-bio data holds the new `Io`; it is
        // ours until the `Io` ends it, and nothing else uses it (nor `saved_end_io`) until the
        // device gives it back to `lent_end_io_callback`, which takes back the reference
        // leaked here and restores the handler saved here.
        unsafe {
            *io.saved_end_io.get() = (*raw).bi_end_io;
            (*raw).bi_private = ARef::into_raw(io).as_ptr().cast();
            (*raw).bi_end_io = Some(Io::<O::Io>::lent_end_io_callback);
            bindings::dm_submit_bio_remap(raw, core::ptr::null_mut());
        }
    }
}

impl<T: IoOps> Io<T> {
    /// # Safety
    ///
    /// Called by the block layer once, for a base bio lent by [`MapBio::start_io_lent`].
    unsafe extern "C" fn lent_end_io_callback(bio: *mut bindings::bio) {
        // SAFETY: `bi_private` holds the reference `start_io_lent` leaked.
        let io =
            unsafe { ARef::from_raw(NonNull::new_unchecked((*bio).bi_private.cast::<Self>())) };
        // SAFETY: The bio is the I/O's base bio, back from the device and ours again;
        // `saved_end_io` holds dm core's handler (type invariant).
        let status = unsafe {
            (*bio).bi_end_io = *io.saved_end_io.get();
            // The device's I/O controllers have seen this completion: when the I/O ends the bio
            // (`bio_endio` once more), they must not count it again.
            (*bio).bi_flags &=
                !((1 << bindings::BIO_QOS_THROTTLED) | (1 << bindings::BIO_QOS_MERGED)) as u16;
            BlkStatus::from_raw((*bio).bi_status)
        };
        T::lent_end_io(io, status);
    }
}

/// The cipher request a conversion of an [`Io`] submits with (dm-crypt's `ctx->r.req`).
///
/// While the cipher finishes synchronously the same request serves sector after sector, so a
/// synchronous conversion costs one allocation, not one per sector; a request that goes
/// asynchronous belongs to the transform until it completes, and the next sector takes a new
/// one. Dropping the slot gives an unused request back to the pool.
///
/// The I/O's `inflight` count keeps its out bio while requests use it. A slot for an I/O with
/// an out bio raises the count once for itself and once for each request it expects to issue,
/// so that a synchronous conversion touches the atomic twice in all, not twice per sector; a
/// request that goes asynchronous takes one of those counts with it. A slot for an I/O without
/// one (a read decrypted in place) counts nothing: its requests work in the base bio, whose
/// pages their reference on the I/O keeps.
///
/// # Invariants
///
/// The slot holds `held` counts of `io.inflight` while it lives, at least one if `out` (the
/// I/O's out bio when the slot was made, or null) is not null, so that it cannot be taken from
/// the I/O meanwhile.
pub(crate) struct RequestSlot<'a, T: IoOps> {
    io: &'a ARef<Io<T>>,
    req: Option<RequestBox<IoReq<T>>>,
    out: *mut bindings::bio,
    held: u32,
}

impl<'a, T: IoOps> RequestSlot<'a, T> {
    /// An empty slot for about `requests` requests of `io` (more are fine, just slower).
    pub(crate) fn new(io: &'a ARef<Io<T>>, requests: u32) -> Self {
        if io.out_bio.load(Acquire).is_null() {
            // INVARIANT: No out bio, no count. One set later is not this slot's to use.
            return Self {
                io,
                req: None,
                out: core::ptr::null_mut(),
                held: 0,
            };
        }
        let held = requests.saturating_add(1);
        io.inflight.add(held, Relaxed);
        // ORDERING: `take_out_bio` clears `out_bio` before it reads `inflight` (both `Full`):
        // either it sees our count, or we see null.
        core::sync::atomic::fence(core::sync::atomic::Ordering::SeqCst);
        let out = io.out_bio.load(Acquire);
        // INVARIANT: The counts are raised and `out` read after them.
        Self {
            io,
            req: None,
            out,
            held,
        }
    }

    /// Before a request is submitted: whether it takes a count of `inflight` (it may use the
    /// out bio), and if so, that the slot has one to give while keeping one.
    fn count_request(&mut self) -> bool {
        let counted = !self.out.is_null();
        if counted && self.held < 2 {
            self.io.inflight.add(1, Relaxed);
            self.held += 1;
        }
        counted
    }

    /// The I/O's out bio, if it has one.
    fn out_bio(&self) -> Option<&Bio> {
        // SAFETY: A non-null `out` is a valid bio owned by the I/O, which cannot be taken
        // while the slot lives (type invariant).
        (!self.out.is_null()).then(|| unsafe { Bio::from_raw(self.out) })
    }

    /// The start of the out bio's data, if the I/O has one.
    pub(crate) fn out_iter(&self) -> Option<BvecIter> {
        self.out_bio().map(Bio::iter)
    }

    /// Advances `it`, a position in the out bio, by `bytes`.
    pub(crate) fn advance_out(&self, it: &mut BvecIter, bytes: u32) {
        if let Some(b) = self.out_bio() {
            it.advance(b, bytes);
        }
    }

    /// Makes sure a request is at hand; `false` if none could be had (`gfp` cannot sleep).
    #[inline]
    pub(crate) fn fill(&mut self, gfp: Gfp) -> bool {
        if self.req.is_none() {
            // Assigned here, where the old value is known to be `None`: nothing to drop.
            self.req = self.new_request(gfp);
        }
        self.req.is_some()
    }

    /// A new request for [`RequestSlot::fill`]: the embedded one, or one from the pool.
    fn new_request(&self, gfp: Gfp) -> Option<RequestBox<IoReq<T>>> {
        let pool = T::request_pool(self.io.config());
        let ctx = IoReq::borrowing(self.io);
        match self.io.take_embedded() {
            // SAFETY: By the type invariant of `Io` the embedded memory is aligned to
            // `CRYPTO_MINALIGN` and holds `request_size(config)` bytes, which is
            // `pool.size()`; `take_embedded` reserved it for us until `free_request`.
            Some(mem) => Some(unsafe { pool.init_in(mem, ctx) }),
            None => pool.alloc(gfp, ctx),
        }
    }

    /// The segment of at least `len` bytes at `place`, within one page.
    #[inline]
    fn segment(&self, place: Place<'_>, len: u32) -> Option<Segment> {
        match place {
            Place::Base(it) => it.segment(self.io.base_bio()),
            Place::Out(it) => self.out_bio().and_then(|b| it.segment(b)),
        }
        .filter(|s| s.len >= len)
    }

    /// Runs the request `r` on one sector: `r.len` bytes from `r.src` to `r.dst` (the same
    /// place: in place). `gfp` is for a new request.
    ///
    /// Both ranges must lie within one page each. Returns `None` if no request could be had
    /// (`gfp` cannot sleep), [`Crypted::Done`] if the cipher finished synchronously (post-
    /// processed already), and [`Crypted::Pending`] if [`IoOps::crypt_done`] will be called.
    pub(crate) fn crypt(&mut self, gfp: Gfp, r: &SectorRequest<'_>) -> Option<Crypted> {
        if !self.fill(gfp) {
            return None;
        }
        let this = self.io;
        let mut req = self.req.take()?;
        let len = r.len;

        // The pages stay valid while the request is in flight: the base bio's because the I/O
        // lives as long as the request (the slot's reference, or the request's own if it may
        // outlive the slot), the out bio's because `take_out_bio` refuses while `inflight` is
        // raised (by the slot now, by the request if it outlives it: it takes one of the
        // slot's counts). The tag buffer lives as long as the I/O.
        let counted = self.count_request();
        // In place, the two are one segment.
        let in_place_request = r.src.same(r.dst);
        let src = self.segment(r.src, len);
        let dst = if in_place_request {
            src
        } else {
            self.segment(r.dst, len)
        };
        let (Some(src), Some(dst)) = (src, dst) else {
            self.req = Some(req);
            return Some(Crypted::Done(Err(EIO)));
        };
        let mut in_place = false;
        // INVARIANT: The segments hold `len` bytes of the I/O's pages, the metadata is the
        // sector's own tuple, and the request that will use them is not submitted yet.
        let data = SectorData {
            src,
            dst,
            len,
            gfp,
            metadata: r.metadata,
            in_place: &mut in_place,
        };
        if let Err(e) = T::generate_iv(this, r.sector, r.encrypt, req.iv_mut(), data) {
            self.req = Some(req);
            return Some(Crypted::Done(Err(e)));
        }
        let ctx = req.ctx_mut();
        ctx.sector = r.sector;
        ctx.encrypt = r.encrypt;
        ctx.counted = counted;
        if r.cipher.is_async() {
            ctx.hold();
        }
        let mut src = if in_place { dst } else { src };
        let dst = SgEntry {
            page: dst.page,
            offset: dst.offset,
            len,
        };
        let submitted = match r.cipher {
            Cipher::Skcipher(tfm) => {
                let src = SgEntry {
                    page: src.page,
                    offset: src.offset,
                    len,
                };
                // SAFETY: The pages stay valid until the request completes (see above), and
                // nothing else writes the range meanwhile: each range of an I/O is converted
                // once.
                unsafe { req.skcipher(tfm, src, dst, r.encrypt) }
            }
            Cipher::Aead {
                tfm,
                tag_size,
                aad_sector,
            } => {
                let Some(tag) = r.metadata.filter(|m| m.len >= tag_size) else {
                    self.req = Some(req);
                    return Some(Crypted::Done(Err(EIO)));
                };
                // AEADs work in place: the data goes to the destination first.
                if r.encrypt && (src.page != dst.page || src.offset != dst.offset) {
                    let d = Segment {
                        page: dst.page,
                        offset: dst.offset,
                        len,
                    };
                    // SAFETY: Distinct ranges of the I/O's pages that nothing else accesses
                    // before the request is submitted (see above).
                    unsafe { src.with_bytes(len, |s| d.with_bytes(len, |d| copy_bytes(d, s))) };
                    src = d;
                }
                // The associated data: the sector, then the IV as generated (the transform
                // changes its working copy).
                let iv_size = tfm.iv_size() as usize;
                let iv = *req.iv_mut();
                if let Some(aad) = req.aad_mut() {
                    aad[..8].copy_from_slice(&aad_sector.to_le_bytes());
                    aad[8..8 + iv_size].copy_from_slice(&iv[..iv_size]);
                }
                let src = SgEntry {
                    page: src.page,
                    offset: src.offset,
                    len,
                };
                let tag = SgBuf {
                    ptr: tag.ptr,
                    len: tag_size,
                };
                // SAFETY: As above; the tag is the sector's own tuple in the I/O's tag buffer,
                // which lives as long as the I/O.
                unsafe { req.aead(tfm, 8 + iv_size as u32, src, dst, tag, r.encrypt) }
            }
        };
        match submitted {
            Submitted::Done(req, result) => {
                if result.is_ok() {
                    IoReq::post(&req);
                }
                self.req = Some(req);
                Some(Crypted::Done(result))
            }
            Submitted::InProgress | Submitted::Backlogged => {
                // INVARIANT: The request holds one of the slot's counts now, if it took one.
                self.held -= u32::from(counted);
                Some(Crypted::Pending)
            }
        }
    }
}

impl<T: IoOps> RequestSlot<'_, T> {
    /// The scatterlist of `len` bytes at `place`, one entry per multi-page bvec; `None` if
    /// there is no memory for it (`gfp` with `__GFP_NORETRY | __GFP_NOWARN`: the caller has
    /// another way), or the place holds fewer bytes.
    fn sg_table(&self, place: Place<'_>, len: u32, gfp: Gfp) -> Option<SgTable> {
        let (bio, start) = match place {
            Place::Base(it) => (self.io.base_bio(), *it),
            Place::Out(it) => (self.out_bio()?, *it),
        };
        let mut it = start;
        it.truncate(len);
        if it.size() != len {
            return None;
        }
        let mut nents = 0;
        while let Some(bv) = it.bvec(bio) {
            nents += 1;
            it.advance(bio, bv.len);
        }
        let mut table = SgTable::new(nents, gfp.with(Gfp::NORETRY).with(Gfp::NOWARN))?;
        let mut it = start;
        it.truncate(len);
        let mut i = 0;
        while let Some(bv) = it.bvec(bio) {
            table.set(
                i,
                SgEntry {
                    page: bv.page,
                    offset: bv.offset,
                    len: bv.len,
                },
            );
            i += 1;
            it.advance(bio, bv.len);
        }
        Some(table)
    }

    /// Runs the request `r` over several sectors in one go. `gfp` is for the request and its
    /// scatterlists. Returns `None`, having submitted nothing, if either could not be had:
    /// the caller converts sector by sector instead, whose requests have a reserve; otherwise
    /// as [`RequestSlot::crypt`].
    pub(crate) fn crypt_units(&mut self, gfp: Gfp, r: &UnitsRequest<'_>) -> Option<Crypted> {
        if !self.fill(gfp) {
            return None;
        }
        let in_place = r.src.same(r.dst);
        let src = self.sg_table(r.src, r.len, gfp)?;
        let dst = if in_place {
            None
        } else {
            Some(self.sg_table(r.dst, r.len, gfp)?)
        };
        let mut req = self.req.take()?;
        // The pages stay valid while the request is in flight, as in `crypt`.
        let counted = self.count_request();
        req.iv_mut()[..16].copy_from_slice(&r.iv);
        let ctx = req.ctx_mut();
        ctx.sector = r.sector;
        ctx.encrypt = r.encrypt;
        ctx.counted = counted;
        if r.tfm.is_async() {
            ctx.hold();
        }
        let tables = SgTables { src, dst };
        // SAFETY: The tables describe `len` bytes of the I/O's pages, valid until the request
        // completes (see above), which nothing else accesses: each range is converted once.
        match unsafe { req.skcipher_units(r.tfm, tables, r.len, r.encrypt) } {
            Submitted::Done(req, result) => {
                self.req = Some(req);
                Some(Crypted::Done(result))
            }
            Submitted::InProgress | Submitted::Backlogged => {
                // INVARIANT: The request holds one of the slot's counts now, if it took one.
                self.held -= u32::from(counted);
                Some(Crypted::Pending)
            }
        }
    }

    /// Runs `f` on `len` bytes from `src` to `dst`, mapped for the CPU: a synchronous cipher
    /// that needs no request (the multi-data-unit path's library backend). `src == dst` (the
    /// same position) is in place. `EIO` if either range is not `len` bytes within one page.
    pub(crate) fn crypt_direct(
        &self,
        src: Place<'_>,
        dst: Place<'_>,
        len: u32,
        f: impl FnOnce(Buffers<'_>) -> Result,
    ) -> Result {
        let in_place = src.same(dst);
        let s = self.segment(src, len).ok_or(EIO)?;
        if in_place {
            // SAFETY: The segment holds `len` bytes of the I/O's pages, which stay valid while
            // the slot lives (see `crypt`); each range of an I/O is converted once, by one
            // caller, so nothing else accesses it meanwhile.
            return unsafe { s.with_bytes(len, |d| f(Buffers::InPlace(d))) }.ok_or(EIO)?;
        }
        let d = self.segment(dst, len).ok_or(EIO)?;
        // SAFETY: As above, for two ranges of different bios (the base bio and the out bio),
        // which do not overlap.
        unsafe {
            s.with_bytes(len, |s| {
                d.with_bytes(len, |d| f(Buffers::Copy { src: s, dst: d }))
            })
        }
        .flatten()
        .ok_or(EIO)?
    }
}

impl<T: IoOps> Drop for RequestSlot<'_, T> {
    fn drop(&mut self) {
        if let Some(req) = self.req.take() {
            free_request(self.io, req);
        }
        if self.held > 0 {
            self.io.inflight.fetch_sub(self.held, Release);
        }
    }
}

/// The outcome of [`RequestSlot::crypt`].
pub(crate) enum Crypted {
    /// The cipher finished synchronously.
    Done(Result),
    /// [`IoOps::crypt_done`] will report the result.
    Pending,
}

/// The context of a cipher request of an [`Io`]: the I/O, kept alive (and so its pages) until
/// the request completes, and what [`IoOps::post`] needs.
///
/// A request of a synchronous transform finishes before its submission returns, within the
/// [`RequestSlot`] it came from, which borrows a reference on the I/O for its whole life: such
/// a request needs none of its own, and a synchronous conversion touches the I/O's count for
/// none of its requests. A request of a transform that may finish asynchronously takes one
/// before it is submitted ([`IoReq::hold`]).
///
/// # Invariants
///
/// `io` is valid while the request lives; if `owns_ref`, the context owns a reference on it.
pub(crate) struct IoReq<T: IoOps> {
    io: NonNull<Io<T>>,
    owns_ref: bool,
    sector: u64,
    encrypt: bool,
    /// Whether the request holds a count of the I/O's `inflight` (see [`RequestSlot`]).
    counted: bool,
}

// SAFETY: The context stands for a reference on (or a borrow of) an `Io`, which is `Send` and
// `Sync`.
unsafe impl<T: IoOps> Send for IoReq<T> {}
// SAFETY: As above.
unsafe impl<T: IoOps> Sync for IoReq<T> {}

impl<T: IoOps> IoReq<T> {
    /// A context that borrows `io`: the caller keeps its reference until the request is
    /// freed, unless the request is submitted after [`IoReq::hold`].
    fn borrowing(io: &ARef<Io<T>>) -> Self {
        // INVARIANT: `io` is valid while the caller's reference lives, which the caller keeps
        // for the request's life (or until `hold`).
        Self {
            io: NonNull::from(&**io),
            owns_ref: false,
            sector: 0,
            encrypt: false,
            counted: false,
        }
    }

    /// The I/O.
    fn io(&self) -> &Io<T> {
        // SAFETY: Valid while the request lives (type invariant).
        unsafe { self.io.as_ref() }
    }

    /// Makes sure the context holds a reference of its own on the I/O: before a request that
    /// may outlive its [`RequestSlot`] (of a transform that may finish asynchronously) is
    /// submitted.
    fn hold(&mut self) {
        if !self.owns_ref {
            // INVARIANT: The new reference is the context's.
            self.io().inc_ref();
            self.owns_ref = true;
        }
    }

    /// The context's reference on the I/O, taken out of it; a new one if it had none.
    fn take_ref(&mut self) -> ARef<Io<T>> {
        if !self.owns_ref {
            self.io().inc_ref();
        }
        // INVARIANT: The reference leaves the context, which keeps `io` only as long as the
        // request lives, and the reference is alive at least that long (the caller's now).
        self.owns_ref = false;
        // SAFETY: One reference on the valid `io`, owned by the context until now.
        unsafe { ARef::from_raw(self.io) }
    }

    /// Runs [`IoOps::post`] on the destination of a request that succeeded.
    #[inline]
    fn post(req: &RequestBox<Self>) {
        let ctx = req.ctx();
        if !T::wants_post(ctx.io()) {
            return;
        }
        let dst = req.dst();
        // A multi-data-unit request records no single destination: its tables admit no
        // post-processing (`multi_du::eligible`).
        if dst.page.is_null() {
            return;
        }
        let seg = Segment {
            page: dst.page,
            offset: dst.offset,
            len: dst.len,
        };
        // SAFETY: The request finished, and its destination is a range of the I/O's pages,
        // still valid (the I/O lives as long as the request, which holds a count of `inflight`
        // if it may use the out bio), that nothing else accesses: each range is converted once.
        unsafe { seg.with_bytes(dst.len, |d| T::post(ctx.io(), ctx.sector, ctx.encrypt, d)) };
    }
}

impl<T: IoOps> Drop for IoReq<T> {
    fn drop(&mut self) {
        if self.owns_ref {
            // SAFETY: The context owns this reference (type invariant).
            drop(unsafe { ARef::from_raw(self.io) });
        }
    }
}

impl<T: IoOps> RequestContext for IoReq<T> {
    fn complete(mut req: RequestBox<Self>, result: Result) {
        if result.is_ok() {
            Self::post(&req);
        }
        // The request was submitted after `hold` (only a transform that may finish
        // asynchronously calls back), so this is the context's own reference.
        let io = req.ctx_mut().take_ref();
        let sector = req.ctx().sector;
        let counted = req.ctx().counted;
        free_request(&io, req);
        if counted {
            io.inflight.fetch_sub(1, Release);
        }
        T::crypt_done(io, result, sector);
    }

    fn backlog_started(&self) {
        // Not throttled on the backlog (dm-crypt waits here): an I/O issues at most one
        // request per sector of a bio no larger than the split size.
    }
}

/// Ends a request of `io`: back to the pool, or the embedded request free again. The caller
/// holds a reference on `io`, so the memory of an embedded request outlives this.
#[inline]
fn free_request<T: IoOps>(io: &Io<T>, req: RequestBox<IoReq<T>>) {
    if let Some(ctx) = T::request_pool(io.config()).free(req) {
        // An embedded request lives in the memory of the `Io` its context refers to.
        // INVARIANT: The request is out of that memory (its context moved here).
        ctx.io().embedded_busy.store(0, Release);
        drop(ctx);
    }
}

/// Copies between two mapped segments of the same length. Cut to the shorter of the two, so
/// that no length-mismatch panic path is compiled in (the callers pass equal lengths).
fn copy_bytes(dst: &mut [u8], src: &[u8]) {
    let n = dst.len().min(src.len());
    dst[..n].copy_from_slice(&src[..n]);
}
