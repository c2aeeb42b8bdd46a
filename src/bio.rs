// SPDX-License-Identifier: GPL-2.0

//! Block I/O (`struct bio`): the bio a target is handed, clones and bios it builds, bio sets,
//! segment iteration and completion status.
//!
//! C header: [`include/linux/bio.h`](srctree/include/linux/bio.h)

use crate::{
    bindings,
    gfp::Gfp,
    mempool::{
        Mempool,
        PageBudget,
        PoolPage, //
    },
};
use core::{
    ptr::NonNull,
    sync::atomic::AtomicUsize, //
};
use kernel::{
    error::to_result,
    page::PAGE_SIZE,
    prelude::*,
    sync::aref::{
        ARef,
        AlwaysRefCounted, //
    },
    types::Opaque,
};

/// A block layer completion status (`blk_status_t`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct BlkStatus(bindings::blk_status_t);

impl BlkStatus {
    /// `BLK_STS_OK`.
    pub(crate) const OK: Self = Self(bindings::BLK_STS_OK);
    /// `BLK_STS_IOERR`.
    pub(crate) const IOERR: Self = Self(bindings::BLK_STS_IOERR);
    /// `BLK_STS_RESOURCE`.
    pub(crate) const RESOURCE: Self = Self(bindings::BLK_STS_RESOURCE);
    /// `BLK_STS_PROTECTION`: the data failed an integrity check.
    pub(crate) const PROTECTION: Self = Self(bindings::BLK_STS_PROTECTION);

    /// Whether this is success.
    pub(crate) fn is_ok(self) -> bool {
        self == Self::OK
    }

    /// The raw value, for compact storage (e.g. in an atomic).
    pub(crate) fn to_raw(self) -> u8 {
        self.0
    }

    /// The inverse of [`BlkStatus::to_raw`].
    pub(crate) fn from_raw(raw: u8) -> Self {
        Self(raw)
    }
}

/// A bio.
///
/// # Invariants
///
/// The wrapped `bio` is valid for the lifetime of the reference.
#[repr(transparent)]
pub(crate) struct Bio(Opaque<bindings::bio>);

impl Bio {
    /// # Safety
    ///
    /// `ptr` must be a valid bio for `'a`, exclusively accessed through the result.
    pub(crate) unsafe fn from_raw_mut<'a>(ptr: *mut bindings::bio) -> &'a mut Self {
        // CAST: `Bio` is `repr(transparent)` over `Opaque<bio>`.
        // SAFETY: Guaranteed by the caller.
        unsafe { &mut *ptr.cast() }
    }

    /// # Safety
    ///
    /// `ptr` must be a valid bio for `'a`.
    pub(crate) unsafe fn from_raw<'a>(ptr: *mut bindings::bio) -> &'a Self {
        // CAST: `Bio` is `repr(transparent)` over `Opaque<bio>`.
        // SAFETY: Guaranteed by the caller.
        unsafe { &*ptr.cast() }
    }

    pub(crate) fn as_raw(&self) -> *mut bindings::bio {
        self.0.get()
    }

    fn opf(&self) -> bindings::blk_opf_t {
        // SAFETY: The bio is valid (type invariant).
        unsafe { (*self.as_raw()).bi_opf }
    }

    /// The bio's current position and remaining size.
    pub(crate) fn iter(&self) -> BvecIter {
        // SAFETY: The bio is valid (type invariant).
        BvecIter(unsafe { (*self.as_raw()).bi_iter })
    }

    /// The first sector (512 bytes) of the bio on its device.
    pub(crate) fn sector(&self) -> u64 {
        self.iter().sector()
    }

    /// The remaining size in bytes.
    pub(crate) fn size(&self) -> u32 {
        self.iter().size()
    }

    /// Sets the first sector.
    pub(crate) fn set_sector(&mut self, sector: u64) {
        // SAFETY: The bio is valid and we have exclusive access.
        unsafe { (*self.as_raw()).bi_iter.bi_sector = sector };
    }

    /// Whether the bio's data is not a memory range that iterators advance over
    /// (`bio_no_advance_iter`: discards, secure erases and zeroing writes).
    fn no_advance_iter(&self) -> bool {
        let op = self.opf() & bindings::REQ_OP_MASK;
        op == bindings::req_op_REQ_OP_DISCARD
            || op == bindings::req_op_REQ_OP_SECURE_ERASE
            || op == bindings::req_op_REQ_OP_WRITE_ZEROES
    }

    /// Whether the operation writes (`op_is_write(bio_op(bio))`); zone management and other
    /// odd-numbered operations count as writes, as in C.
    pub(crate) fn is_write(&self) -> bool {
        (self.opf() & bindings::REQ_OP_MASK) & 1 != 0
    }

    /// Whether this is a plain write or a write of zeroes (`REQ_OP_WRITE`,
    /// `REQ_OP_WRITE_ZEROES`): the writes whose order a zoned device needs kept.
    pub(crate) fn is_ordered_write(&self) -> bool {
        let op = self.opf() & bindings::REQ_OP_MASK;
        op == bindings::req_op_REQ_OP_WRITE || op == bindings::req_op_REQ_OP_WRITE_ZEROES
    }

    /// Whether this is a (data-less) flush (`REQ_PREFLUSH`).
    pub(crate) fn is_preflush(&self) -> bool {
        self.opf() & bindings::REQ_PREFLUSH != 0
    }

    /// Whether this is a discard.
    pub(crate) fn is_discard(&self) -> bool {
        self.opf() & bindings::REQ_OP_MASK == bindings::req_op_REQ_OP_DISCARD
    }

    /// Whether this is an atomic write (`REQ_ATOMIC`), which must not be split.
    pub(crate) fn is_atomic(&self) -> bool {
        self.opf() & bindings::REQ_ATOMIC != 0
    }

    /// Redirects the bio to `bdev`.
    pub(crate) fn set_dev(&mut self, bdev: &BlockDevice) {
        // SAFETY: The bio is valid and we have exclusive access; `bdev` is a valid device.
        unsafe { bindings::bio_set_dev(self.as_raw(), bdev.as_raw()) };
    }
}

/// A position in a bio's data: sector, remaining bytes, and the current segment.
#[derive(Clone, Copy)]
pub(crate) struct BvecIter(bindings::bvec_iter);

impl BvecIter {
    /// The current sector.
    pub(crate) fn sector(&self) -> u64 {
        self.0.bi_sector
    }

    /// The remaining bytes.
    pub(crate) fn size(&self) -> u32 {
        self.0.bi_size
    }

    /// Limits the remaining size to `bytes`.
    pub(crate) fn truncate(&mut self, bytes: u32) {
        self.0.bi_size = self.0.bi_size.min(bytes);
    }

    /// The multi-page bvec at the current position (`mp_bvec_iter_bvec`); `bi_size > 0`.
    ///
    /// The per-sector loops of a conversion call this and [`BvecIter::advance`] for every
    /// sector, so these are the C inlines written out, not calls into C helpers.
    fn mp_bvec(&self, bio: &Bio) -> Bvec {
        let it = &self.0;
        // SAFETY: `bio` is valid, and a position with bytes left indexes an entry of its bvec
        // table, which nothing changes while the bio is in flight.
        let bv = unsafe { *(*bio.as_raw()).bi_io_vec.add(it.bi_idx as usize) };
        Bvec {
            page: bv.bv_page,
            offset: bv.bv_offset.wrapping_add(it.bi_offset),
            len: bv.bv_len.wrapping_sub(it.bi_offset).min(it.bi_size),
        }
    }

    /// The segment at the current position within one page (`bio_iter_iovec`), or `None` at
    /// the end.
    pub(crate) fn segment(&self, bio: &Bio) -> Option<Segment> {
        if self.0.bi_size == 0 {
            return None;
        }
        let mp = self.mp_bvec(bio);
        let page_size = PAGE_SIZE as u32;
        let (n, offset) = (mp.offset / page_size, mp.offset % page_size);
        let page = if n == 0 {
            mp.page
        } else {
            // SAFETY: A bvec's pages are physically contiguous, and its data covers page `n`
            // (the offset lies within the bvec).
            unsafe { bindings::nth_page(mp.page, n) }
        };
        Some(Segment {
            page,
            offset,
            len: mp.len.min(page_size - offset),
        })
    }

    /// The multi-page segment at the current position (`mp_bvec_iter_bvec`, what
    /// `__bio_for_each_bvec` visits: a large folio stays one piece), or `None` at the end.
    pub(crate) fn bvec(&self, bio: &Bio) -> Option<Bvec> {
        (self.0.bi_size != 0).then(|| self.mp_bvec(bio))
    }

    /// Advances by `bytes` (`bio_advance_iter`). Past the end it stops at the end, as
    /// `bvec_iter_advance` does (which also warns; the callers never go past).
    pub(crate) fn advance(&mut self, bio: &Bio, bytes: u32) {
        let it = &mut self.0;
        it.bi_sector = it.bi_sector.wrapping_add(u64::from(bytes >> 9));
        if bio.no_advance_iter() {
            it.bi_size = it.bi_size.wrapping_sub(bytes);
            return;
        }
        debug_assert!(bytes <= it.bi_size, "advanced past the end");
        if bytes > it.bi_size {
            it.bi_size = 0;
            return;
        }
        it.bi_size -= bytes;
        let mut done = bytes.wrapping_add(it.bi_offset);
        let mut idx = it.bi_idx as usize;
        // SAFETY: `bio` is valid; the bytes advanced over lie within its data (checked above),
        // so every entry visited is in its bvec table.
        let table = unsafe { (*bio.as_raw()).bi_io_vec };
        while done != 0 {
            // SAFETY: As above.
            let len = unsafe { (*table.add(idx)).bv_len };
            if done < len {
                break;
            }
            done -= len;
            idx += 1;
        }
        it.bi_idx = idx as u32;
        it.bi_offset = done;
    }
}

/// `len` bytes from `offset` in the physically contiguous pages that start at `page`: a
/// piece of a bio's data that may span pages (`offset` may exceed a page, as in a bvec).
#[derive(Clone, Copy)]
pub(crate) struct Bvec {
    pub(crate) page: *mut bindings::page,
    pub(crate) offset: u32,
    pub(crate) len: u32,
}

/// `len` bytes at `offset` in `page`: a piece of a bio's data within one page.
#[derive(Clone, Copy)]
pub(crate) struct Segment {
    pub(crate) page: *mut bindings::page,
    pub(crate) offset: u32,
    pub(crate) len: u32,
}

impl Segment {
    /// Runs `f` on the first `len` bytes of the segment, mapped for the CPU
    /// (`kmap_local_page`); `None` if the segment is shorter.
    ///
    /// # Safety
    ///
    /// The page must stay valid during the call, and nothing else may access those bytes
    /// meanwhile.
    pub(crate) unsafe fn with_bytes<R>(
        &self,
        len: u32,
        f: impl FnOnce(&mut [u8]) -> R,
    ) -> Option<R> {
        if len > self.len {
            return None;
        }
        // SAFETY: The page is valid (caller); a segment lies within its page, so the mapping
        // covers `offset + len` bytes, which nothing else accesses (caller).
        unsafe {
            let base = bindings::kmap_local_page(self.page).cast::<u8>();
            let bytes =
                core::slice::from_raw_parts_mut(base.add(self.offset as usize), len as usize);
            let r = f(bytes);
            bindings::kunmap_local(base.cast());
            Some(r)
        }
    }
}

/// A block device (borrowed from a `dm_dev` that holds it open).
///
/// # Invariants
///
/// The wrapped `block_device` is valid for the lifetime of the reference.
#[repr(transparent)]
pub(crate) struct BlockDevice(Opaque<bindings::block_device>);

impl BlockDevice {
    /// # Safety
    ///
    /// `ptr` must be valid for `'a`.
    pub(crate) unsafe fn from_raw<'a>(ptr: *mut bindings::block_device) -> &'a Self {
        // CAST: `BlockDevice` is `repr(transparent)` over `Opaque<block_device>`.
        // SAFETY: Guaranteed by the caller.
        unsafe { &*ptr.cast() }
    }

    pub(crate) fn as_raw(&self) -> *mut bindings::block_device {
        self.0.get()
    }

    /// The logical block size in bytes (`bdev_logical_block_size`; read on every bio).
    #[inline]
    pub(crate) fn logical_block_size(&self) -> u32 {
        // SAFETY: The device is valid (type invariant), and so is its queue, which lives as
        // long as the device. A plain read, as C's inline makes: the block layer changes the
        // limits of a live queue only with the queue frozen.
        unsafe { (*(*self.as_raw()).bd_queue).limits.logical_block_size }
    }

    /// The most segments a bio to this device may have (`bdev_max_segments`).
    #[inline]
    pub(crate) fn max_segments(&self) -> u32 {
        // SAFETY: As in `logical_block_size`.
        unsafe { (*(*self.as_raw()).bd_queue).limits.max_segments }.into()
    }

    /// The device's name as `%pg` prints it (`sda1`, `nvme0n1p1`, `dm-0`), for messages.
    pub(crate) fn name(&self) -> DeviceName<'_> {
        DeviceName(self)
    }

    /// Whether the device is zoned.
    pub(crate) fn is_zoned(&self) -> bool {
        // SAFETY: The device is valid (type invariant).
        unsafe { bindings::bdev_is_zoned(self.as_raw()) }
    }
}

/// A block device's name for messages; see [`BlockDevice::name`].
pub(crate) struct DeviceName<'a>(&'a BlockDevice);

impl kernel::fmt::Display for DeviceName<'_> {
    fn fmt(&self, f: &mut kernel::fmt::Formatter<'_>) -> kernel::fmt::Result {
        // SAFETY: The device and its disk are valid; the disk name is a NUL-terminated array.
        let (name, partno) = unsafe {
            let bdev = self.0.as_raw();
            let disk = (*bdev).bd_disk;
            (
                CStr::from_char_ptr((*disk).disk_name.as_ptr()),
                bindings::bdev_partno(bdev),
            )
        };
        let name = name.to_str().unwrap_or("?");
        f.write_str(name)?;
        // `bdev_name`: a partition number follows, after a `p` if the name ends in a digit.
        if partno != 0 {
            if name.as_bytes().last().is_some_and(u8::is_ascii_digit) {
                f.write_str("p")?;
            }
            write!(f, "{partno}")?;
        }
        Ok(())
    }
}

/// A pool of bios with a reserve (`struct bio_set`), and a pool of pages for the data of the
/// bios it allocates.
///
/// # Invariants
///
/// `bs` is initialised by `bioset_init` and exited on drop. Every page in a non-clone bio
/// allocated from `bs` comes from `pages`, or is a compound page charged to `budget`.
/// `pages` charges its pages to `budget`, which it never outlives (fields drop in order).
#[pin_data(PinnedDrop)]
pub(crate) struct BioSet {
    #[pin]
    bs: Opaque<bindings::bio_set>,
    #[pin]
    pages: Mempool,
    budget: PageBudget,
}

// SAFETY: Bio sets are thread safe.
unsafe impl Send for BioSet {}
// SAFETY: Bio sets are thread safe.
unsafe impl Sync for BioSet {}

/// The flags of every [`BioSet`]: bvec arrays for the bios of encrypted data, and a per-CPU
/// cache of bios (dm core's own bio sets have one too). Bios with at most `BIO_INLINE_VECS`
/// pages, every read clone and the write of a few pages, then come from the CPU's cache and
/// go back to it, not through the slab allocator. The reserve is the same: an empty cache
/// falls back to the slab, then to the pool.
const BIOSET_FLAGS: c_int = (bindings::BIOSET_NEED_BVECS | bindings::BIOSET_PERCPU_CACHE) as c_int;

impl BioSet {
    /// A bio set with `pool_size` bios (with bvec arrays) and `page_reserve` pages in reserve.
    /// Its data pages, the reserve included, count against the ceiling `page_limit` (see
    /// [`PageBudget`]).
    pub(crate) fn new(
        pool_size: u32,
        page_reserve: u32,
        page_limit: &'static AtomicUsize,
    ) -> impl PinInit<Self, Error> {
        try_pin_init!(&this in Self {
            budget: PageBudget::new(page_limit),
            // SAFETY: `budget` is initialised above, pinned with the set, and dropped after
            // the pool (type invariant), so it outlives it.
            pages <- unsafe {
                Mempool::new_pages(
                    page_reserve,
                    NonNull::from(&(*this.as_ptr()).budget),
                )
            },
            bs <- Opaque::try_ffi_init(move |slot: *mut bindings::bio_set| {
                // SAFETY: `slot` is valid for writes; `bioset_init` initialises it fully.
                // INVARIANT: On success the bio set is initialised.
                to_result(unsafe {
                    // `bioset_init` expects a zeroed structure.
                    slot.write_bytes(0, 1);
                    bindings::bioset_init(slot, pool_size, 0, BIOSET_FLAGS)
                })
            }),
        })
    }

    fn raw(&self) -> *mut bindings::bio_set {
        self.bs.get()
    }

    /// A page for the data of a bio of this set; `None` only if `gfp` cannot sleep.
    pub(crate) fn alloc_page(&self, gfp: Gfp) -> Option<PoolPage> {
        self.pages.alloc_page(gfp)
    }

    /// Gives back a page that did not go into a bio.
    pub(crate) fn free_page(&self, page: PoolPage) {
        self.pages.free_page(page)
    }

    /// A clone of `src` for `bdev` sharing its data (`bio_alloc_clone`); `None` if `gfp`
    /// cannot sleep and no bio is at hand.
    pub(crate) fn clone_bio(&self, bdev: &BlockDevice, src: &Bio, gfp: Gfp) -> Option<OwnedBio> {
        // SAFETY: All pointers are valid; the bio set is initialised.
        let bio = unsafe {
            bindings::bio_alloc_clone(bdev.as_raw(), src.as_raw(), gfp.raw(), self.raw())
        };
        // INVARIANT: A fresh bio that we own; a clone shares the source's pages, owns none.
        Some(OwnedBio {
            bio: NonNull::new(bio)?,
        })
    }

    /// An empty bio for `bdev` with room for `nr_vecs` pages of this set, with the operation
    /// and flags of `like` (`bio_alloc_bioset`).
    pub(crate) fn alloc_bio(
        &self,
        bdev: &BlockDevice,
        nr_vecs: u16,
        like: &Bio,
        gfp: Gfp,
    ) -> Option<OwnedBio> {
        // SAFETY: All pointers are valid; the bio set is initialised.
        let bio = unsafe {
            bindings::bio_alloc_bioset(bdev.as_raw(), nr_vecs, like.opf(), gfp.raw(), self.raw())
        };
        let bio = NonNull::new(bio)?;
        // SAFETY: Both bios are valid; a new bio inherits the I/O priority as in dm-crypt.
        unsafe { (*bio.as_ptr()).bi_ioprio = (*like.as_raw()).bi_ioprio };
        // INVARIANT: A fresh bio that we own, with no pages yet.
        Some(OwnedBio { bio })
    }
}

#[pinned_drop]
impl PinnedDrop for BioSet {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: By the type invariant the bio set is initialised; all its bios are back.
        unsafe { bindings::bioset_exit(self.raw()) };
    }
}

/// Completion handler of bios submitted with [`OwnedBio::submit_remap`].
pub(crate) trait BioEndIo: AlwaysRefCounted + Sized + Send + Sync {
    /// `bio` completed (possibly in interrupt context: must not sleep).
    fn end_io(this: ARef<Self>, bio: OwnedBio);
}

/// A bio this module allocated from a [`BioSet`] and owns; its pages go back to the set's page
/// pool and the bio is put on drop.
///
/// # Invariants
///
/// `bio` is a valid bio from a [`BioSet`], owned by this value. A clone (`BIO_CLONED`) owns no
/// pages; any other holds only pages of its set's page pool, added by [`OwnedBio::add_page`],
/// and compound pages of its own, added by [`OwnedBio::add_compound`].
pub(crate) struct OwnedBio {
    bio: NonNull<bindings::bio>,
}

// SAFETY: A bio may be owned and completed on any thread.
unsafe impl Send for OwnedBio {}

impl OwnedBio {
    /// The bio, mutably.
    pub(crate) fn bio_mut(&mut self) -> &mut Bio {
        // SAFETY: By the type invariant the bio is valid and ours.
        unsafe { Bio::from_raw_mut(self.bio.as_ptr()) }
    }

    /// Limits the bio's data to its first `bytes` (it may hold pages beyond them, which it
    /// still owns).
    pub(crate) fn set_size(&mut self, bytes: u32) {
        // SAFETY: The bio is valid and ours; shrinking the size keeps it within its bvecs.
        unsafe {
            let size = &mut (*self.bio.as_ptr()).bi_iter.bi_size;
            *size = (*size).min(bytes);
        }
    }

    /// Gives up ownership; [`OwnedBio::from_raw`] takes it back.
    pub(crate) fn into_raw(self) -> *mut bindings::bio {
        let raw = self.bio.as_ptr();
        core::mem::forget(self);
        raw
    }

    /// Takes back a bio given up with [`OwnedBio::into_raw`].
    ///
    /// # Safety
    ///
    /// `raw` must come from `into_raw`, and be taken back once.
    pub(crate) unsafe fn from_raw(raw: *mut bindings::bio) -> Self {
        // SAFETY: A pointer from `into_raw` is non-null.
        let bio = unsafe { NonNull::new_unchecked(raw) };
        // INVARIANT: The bio `into_raw` gave up, with its invariant.
        Self { bio }
    }

    /// Copies the bio's data, from its current position, into `dst` from its current position
    /// (`bio_copy_data`), as much as both hold.
    pub(crate) fn copy_data_to(&self, dst: &Bio) {
        // SAFETY: Both bios are valid; the copy goes through their own iterator copies.
        unsafe { bindings::bio_copy_data(dst.as_raw(), self.bio.as_ptr()) };
    }

    /// Sets the bio's position (after a completion advanced it, to use its data again).
    pub(crate) fn set_iter(&mut self, iter: BvecIter) {
        // SAFETY: The bio is ours; a position it had before stays within its bvecs.
        unsafe { (*self.bio.as_ptr()).bi_iter = iter.0 };
    }

    /// The completion status.
    pub(crate) fn status(&self) -> BlkStatus {
        // SAFETY: The bio is valid.
        BlkStatus(unsafe { (*self.bio.as_ptr()).bi_status })
    }

    fn is_clone(&self) -> bool {
        // SAFETY: The bio is valid.
        let flags = unsafe { (*self.bio.as_ptr()).bi_flags };
        flags & (1 << bindings::BIO_CLONED) != 0
    }

    /// The bio set the bio came from.
    fn bio_set(&self) -> &BioSet {
        // SAFETY: By the type invariant the bio comes from a `BioSet`, whose `bs` field
        // `bi_pool` points to; the set outlives its bios (`bioset_exit` needs them back).
        unsafe {
            let bs = Opaque::cast_from((*self.bio.as_ptr()).bi_pool).cast_mut();
            &*kernel::container_of!(bs, BioSet, bs)
        }
    }

    /// Appends `len` bytes of `page` (`__bio_add_page`); the bio owns the page from now on.
    ///
    /// Returns the page back if the bio is full, is a clone, or the page belongs to another
    /// set's pool.
    pub(crate) fn add_page(&mut self, page: PoolPage, len: u32) -> Result<(), PoolPage> {
        let raw = self.bio.as_ptr();
        // SAFETY: The bio is valid.
        let full = unsafe { (*raw).bi_vcnt >= (*raw).bi_max_vecs };
        if full || self.is_clone() || page.pool() != NonNull::from(&self.bio_set().pages) {
            return Err(page);
        }
        let p = page.as_raw();
        core::mem::forget(page);
        // SAFETY: The bio has a free bvec slot; the page is valid and ownership moves into the
        // bio (INVARIANT: a page of the set's pool, checked above).
        unsafe { bindings::__bio_add_page(raw, p, len, 0) };
        Ok(())
    }

    /// Appends up to `len` bytes in a new compound page of `2^order` pages (`order` > 0),
    /// allocated without waiting, without the reserves and without a warning: the cheap first
    /// try of `crypt_alloc_buffer`, which falls back to the pool. Returns the bytes added, zero
    /// if the bio is full or no such page is free.
    pub(crate) fn add_compound(&mut self, order: u32, len: u32) -> u32 {
        let raw = self.bio.as_ptr();
        // SAFETY: The bio is valid.
        let full = unsafe { (*raw).bi_vcnt >= (*raw).bi_max_vecs };
        if full || self.is_clone() || order == 0 || !self.bio_set().budget.has_room(1 << order) {
            return 0;
        }
        let gfp = Gfp::NOWAIT
            .with(Gfp::NOMEMALLOC)
            .with(Gfp::NORETRY)
            .with(Gfp::NOWARN)
            .with(Gfp::COMP);
        // SAFETY: Any flags and order are valid; failure returns null.
        let page = unsafe { bindings::alloc_pages(gfp.raw(), order) };
        if page.is_null() {
            return 0;
        }
        self.bio_set().budget.charge(1 << order);
        let len = len.min((PAGE_SIZE as u32) << order);
        // SAFETY: The bio has a free bvec slot; the compound page is ours and moves into the
        // bio (INVARIANT: a compound page of its own, `free_pages` puts it).
        unsafe { bindings::__bio_add_page(raw, page, len, 0) };
        len
    }

    /// Returns every page of the bio to its set's pool, and frees its compound pages. Inline:
    /// a clone (every read) owns none, and this is then a flag test.
    #[inline]
    pub(crate) fn free_pages(&mut self) {
        if !self.is_clone() {
            self.put_pages();
        }
    }

    /// [`OwnedBio::free_pages`] of a bio that is not a clone.
    #[inline(never)]
    fn put_pages(&mut self) {
        let set = self.bio_set();
        let pool = &set.pages;
        let raw = self.bio.as_ptr();
        // SAFETY: The bio is valid; its first `bi_vcnt` bvecs are the pages we added.
        let n = unsafe { (*raw).bi_vcnt } as usize;
        for i in 0..n {
            // SAFETY: `i < bi_vcnt`.
            let page = unsafe { (*(*raw).bi_io_vec.add(i)).bv_page };
            // SAFETY: The page is valid while the bio owns it.
            if unsafe { bindings::page_is_large(page) } {
                // SAFETY: The page is valid while the bio owns it.
                let pages = unsafe { bindings::page_nr_pages(page) } as usize;
                // SAFETY: By the type invariant a compound page was allocated by
                // `add_compound` and is owned by the bio, which gives it up here.
                unsafe { bindings::put_page(page) };
                set.budget.uncharge(pages);
                continue;
            }
            // SAFETY: By the type invariant the page came from `pool`, and the bio gives up
            // ownership of it here (`bi_vcnt` is reset below).
            let page = unsafe { PoolPage::from_raw(page, NonNull::from(pool)) };
            pool.free_page(page);
        }
        // SAFETY: The bio is valid; it holds no pages now.
        unsafe { (*raw).bi_vcnt = 0 };
    }

    /// Submits the bio on behalf of `base` (`dm_submit_bio_remap`); when it completes,
    /// `H::end_io` gets it back together with `ctx`.
    ///
    /// The base bio is passed by pointer: `ctx` is typically what keeps it alive, and the
    /// bio's completion may end it before this returns.
    ///
    /// # Safety
    ///
    /// `base` must be valid when the call starts; it is used only before the bio is submitted.
    pub(crate) unsafe fn submit_remap<H: BioEndIo>(self, base: *mut bindings::bio, ctx: ARef<H>) {
        let raw = self.bio.as_ptr();
        core::mem::forget(self);
        let ctx = ARef::into_raw(ctx);
        // SAFETY: The bio is valid and ours; `bi_private`/`bi_end_io` are ours to set, and the
        // end_io trampoline takes back the reference and the bio exactly once. `base` is valid
        // (caller) and `dm_submit_bio_remap` uses it only before it submits `raw`.
        unsafe {
            (*raw).bi_private = ctx.as_ptr().cast();
            (*raw).bi_end_io = Some(Self::end_io_callback::<H>);
            bindings::dm_submit_bio_remap(base, raw);
        }
    }

    /// # Safety
    ///
    /// Called by the block layer once, for a bio submitted by `submit_remap::<H>`.
    unsafe extern "C" fn end_io_callback<H: BioEndIo>(bio: *mut bindings::bio) {
        // SAFETY: `bi_private` holds the reference `submit_remap` leaked.
        let ctx = unsafe { ARef::from_raw(NonNull::new_unchecked((*bio).bi_private.cast::<H>())) };
        // SAFETY: The block layer hands back the (non-null) bio `submit_remap` gave it.
        let bio = unsafe { NonNull::new_unchecked(bio) };
        let bio = OwnedBio { bio };
        H::end_io(ctx, bio);
    }
}

impl Drop for OwnedBio {
    // Inline: a clone's drop is then a flag test and `bio_put`.
    #[inline]
    fn drop(&mut self) {
        self.free_pages();
        // SAFETY: By the type invariant we own a reference to the bio.
        unsafe { bindings::bio_put(self.bio.as_ptr()) };
    }
}
