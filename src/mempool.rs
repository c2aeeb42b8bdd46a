// SPDX-License-Identifier: GPL-2.0

//! Memory pools: allocations with a reserve that guarantees forward progress.
//!
//! A [`Mempool`] keeps `min_nr` elements in reserve; an allocation that may sleep
//! (`GFP_NOIO`) waits for an element to be freed rather than fail, which is what lets the I/O
//! path make progress when the system is out of memory. [`PoolBox`] is a typed element of a
//! kmalloc pool, [`PoolPage`] an order-0 page of a page pool; both go back to their pool with
//! [`Mempool::free`]/[`Mempool::free_page`], which check that the pool is theirs. A page
//! pool may charge its pages to a [`PageBudget`].
//!
//! C header: [`include/linux/mempool.h`](srctree/include/linux/mempool.h)

use crate::{
    bindings,
    gfp::Gfp, //
};
use core::{
    mem::MaybeUninit,
    ptr::NonNull,
    sync::atomic::{
        AtomicUsize,
        Ordering, //
    }, //
};
use kernel::{
    error::to_result,
    prelude::*,
    types::Opaque, //
};

/// What a pool hands out.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    /// kmalloc'ed blocks of `size` bytes.
    Kmalloc { size: usize },
    /// Order-0 pages, charged to `budget`.
    Pages { budget: NonNull<PageBudget> },
}

/// The pages one user of the page allocator holds, against a ceiling shared with others of
/// its kind (dm-crypt's `n_allocated_pages` and `dm_crypt_pages_per_client`).
///
/// Allocations that may fail anyway (`__GFP_NORETRY`: a pool's first try, opportunistic
/// compound pages) are refused once the holder is at its ceiling; allocations that wait are
/// not, so the ceiling never stops a pool's reserve from guaranteeing progress. The count is
/// a relaxed atomic: an estimate under concurrency, as upstream's per-CPU counter is.
pub(crate) struct PageBudget {
    /// Pages held now, a compound page counted by its size.
    allocated: AtomicUsize,
    /// The ceiling, shared and updated by the owner.
    limit: &'static AtomicUsize,
}

impl PageBudget {
    /// An empty budget under the ceiling `limit`.
    pub(crate) const fn new(limit: &'static AtomicUsize) -> Self {
        Self {
            allocated: AtomicUsize::new(0),
            limit,
        }
    }

    /// Whether `pages` more pages stay within the ceiling.
    pub(crate) fn has_room(&self, pages: usize) -> bool {
        self.allocated.load(Ordering::Relaxed) + pages <= self.limit.load(Ordering::Relaxed)
    }

    /// Counts `pages` allocated pages.
    pub(crate) fn charge(&self, pages: usize) {
        self.allocated.fetch_add(pages, Ordering::Relaxed);
    }

    /// Counts `pages` freed pages.
    pub(crate) fn uncharge(&self, pages: usize) {
        self.allocated.fetch_sub(pages, Ordering::Relaxed);
    }
}

/// The page allocator's count of usable pages (`totalram_pages()`).
pub(crate) fn total_ram_pages() -> usize {
    // SAFETY: Reads an atomic counter; callable in any context.
    unsafe { bindings::totalram_pages() as usize }
}

/// `mempool_alloc_t` of a budgeted page pool (`crypt_page_alloc`).
///
/// # Safety
///
/// `data` is the pool's `PageBudget`, valid while the pool exists.
unsafe extern "C" fn budget_page_alloc(gfp: bindings::gfp_t, data: *mut c_void) -> *mut c_void {
    // SAFETY: `data` is the pool's budget (function contract).
    let budget = unsafe { &*data.cast::<PageBudget>() };
    if gfp & bindings::__GFP_NORETRY != 0 && !budget.has_room(1) {
        return core::ptr::null_mut();
    }
    // SAFETY: Any flags are valid for an order-0 allocation; failure returns null.
    let page = unsafe { bindings::alloc_pages(gfp, 0) };
    if !page.is_null() {
        budget.charge(1);
    }
    page.cast()
}

/// `mempool_free_t` of a budgeted page pool (`crypt_page_free`).
///
/// # Safety
///
/// `element` is a page `budget_page_alloc` returned for the same `data`, no longer used.
unsafe extern "C" fn budget_page_free(element: *mut c_void, data: *mut c_void) {
    // SAFETY: `element` is an order-0 page we allocated and own (function contract).
    unsafe { bindings::__free_pages(element.cast(), 0) };
    // SAFETY: `data` is the pool's budget (function contract).
    unsafe { &*data.cast::<PageBudget>() }.uncharge(1);
}

/// A memory pool.
///
/// # Invariants
///
/// `pool` is an initialised `mempool` handing out elements of `kind`, exited on drop.
#[pin_data(PinnedDrop)]
pub(crate) struct Mempool {
    #[pin]
    pool: Opaque<bindings::mempool>,
    kind: Kind,
}

// SAFETY: `mempool_alloc`/`mempool_free` are thread safe; the pool has no thread affinity.
unsafe impl Send for Mempool {}
// SAFETY: As above.
unsafe impl Sync for Mempool {}

impl Mempool {
    fn init(min_nr: u32, kind: Kind) -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            pool <- Opaque::try_ffi_init(move |slot: *mut bindings::mempool| {
                let (alloc, free, data): (bindings::mempool_alloc_t, bindings::mempool_free_t, usize) =
                    match kind {
                        Kind::Kmalloc { size } => (
                            Some(bindings::mempool_kmalloc),
                            Some(bindings::mempool_kfree),
                            size,
                        ),
                        Kind::Pages { budget } => (
                            Some(budget_page_alloc),
                            Some(budget_page_free),
                            budget.as_ptr() as usize,
                        ),
                    };
                // SAFETY: `slot` is valid for writes and pinned; the callbacks are the kernel's
                // own kmalloc pool functions with their expected `pool_data` (a size, passed as
                // a pointer-sized integer as `mempool_init_kmalloc_pool` does), or ours with
                // the budget, which outlives the pool (`new_pages`' contract).
                // INVARIANT: On success the pool is initialised.
                to_result(unsafe {
                    // `mempool_init` expects a zeroed structure (it counts up from `curr_nr`).
                    slot.write_bytes(0, 1);
                    bindings::mempool_init_noprof(
                        slot,
                        min_nr as c_int,
                        alloc,
                        free,
                        data as *mut c_void,
                    )
                })
            }),
            kind,
        })
    }

    /// A pool of `size`-byte kmalloc blocks with `min_nr` in reserve.
    pub(crate) fn new_kmalloc(min_nr: u32, size: usize) -> impl PinInit<Self, Error> {
        Self::init(min_nr, Kind::Kmalloc { size })
    }

    /// A pool of order-0 pages with `min_nr` in reserve, charged to `budget` (the reserve
    /// included).
    ///
    /// # Safety
    ///
    /// `budget` must stay valid until the pool is dropped.
    pub(crate) unsafe fn new_pages(
        min_nr: u32,
        budget: NonNull<PageBudget>,
    ) -> impl PinInit<Self, Error> {
        Self::init(min_nr, Kind::Pages { budget })
    }

    fn raw(&self) -> *mut bindings::mempool {
        self.pool.get()
    }

    fn alloc_raw(&self, gfp: Gfp) -> Option<NonNull<c_void>> {
        // SAFETY: By the type invariant the pool is initialised.
        NonNull::new(unsafe { bindings::mempool_alloc(self.raw(), gfp.raw()) })
    }

    /// Allocates an element for a `T`; `None` only if `gfp` cannot sleep.
    ///
    /// # Panics
    ///
    /// At build time if a `T` does not fit; at run time (a bug) if this is a page pool or its
    /// blocks are smaller than `T`.
    pub(crate) fn alloc<T>(&self, gfp: Gfp) -> Option<PoolBox<MaybeUninit<T>>> {
        build_assert!(align_of::<T>() <= bindings::CRYPTO_MINALIGN);
        match self.kind {
            Kind::Kmalloc { size } if size >= size_of::<T>() => {}
            // PANIC: A pool used for the wrong type is a programming error.
            _ => panic!("mempool element does not fit"),
        }
        let ptr = self.alloc_raw(gfp)?;
        // INVARIANT: The block comes from this kmalloc pool and holds `size_of::<T>()` bytes
        // aligned for `T` (kmalloc aligns to `ARCH_KMALLOC_MINALIGN`, checked above).
        Some(PoolBox {
            ptr: ptr.cast(),
            pool: NonNull::from(self),
        })
    }

    /// Returns `b` to this pool, dropping its contents.
    ///
    /// # Panics
    ///
    /// If `b` came from another pool (a bug).
    pub(crate) fn free<T>(&self, b: PoolBox<T>) {
        assert!(core::ptr::eq(b.pool.as_ptr(), self));
        let ptr = b.ptr;
        core::mem::forget(b);
        // SAFETY: `ptr` is a valid, initialised `T` we own (type invariant of `PoolBox`).
        unsafe { core::ptr::drop_in_place(ptr.as_ptr()) };
        // SAFETY: The block came from this pool (checked above) and is no longer used.
        unsafe { bindings::mempool_free(ptr.as_ptr().cast(), self.raw()) };
    }

    /// Allocates a block of at least `len` bytes from this kmalloc pool; `None` if `gfp`
    /// cannot sleep and none is at hand, or the pool's blocks are smaller.
    pub(crate) fn alloc_block(&self, len: usize, gfp: Gfp) -> Option<NonNull<u8>> {
        match self.kind {
            Kind::Kmalloc { size } if size >= len => self.alloc_raw(gfp).map(NonNull::cast),
            _ => None,
        }
    }

    /// Returns a block of [`Mempool::alloc_block`].
    ///
    /// # Safety
    ///
    /// `ptr` must come from `alloc_block` on this pool and not be used afterwards.
    pub(crate) unsafe fn free_block(&self, ptr: NonNull<u8>) {
        // SAFETY: The block came from this pool (caller).
        unsafe { bindings::mempool_free(ptr.as_ptr().cast(), self.raw()) };
    }

    /// Allocates a page; `None` only if `gfp` cannot sleep.
    ///
    /// The reserve serves first (`mempool_alloc_preallocated`: one spinlock), then the page
    /// allocator, then the reserve again or a wait, as `mempool_alloc`. A freed page goes back
    /// to the reserve while it is short, so a steady stream of writes recycles the reserve's
    /// pages: no trip through the page allocator per page, and no other memory held than the
    /// reserve dm-crypt keeps anyway. Progress is as with `mempool_alloc` alone: every page
    /// taken comes back with its I/O.
    pub(crate) fn alloc_page(&self, gfp: Gfp) -> Option<PoolPage> {
        debug_assert!(matches!(self.kind, Kind::Pages { .. }));
        // SAFETY: By the type invariant the pool is initialised.
        let reserve = unsafe { bindings::mempool_alloc_preallocated(self.raw()) };
        let ptr = match NonNull::new(reserve) {
            Some(ptr) => ptr,
            None => self.alloc_raw(gfp)?,
        };
        // INVARIANT: An element of a page pool is an order-0 page.
        Some(PoolPage {
            page: ptr.cast(),
            pool: NonNull::from(self),
        })
    }

    /// Returns a page to this pool.
    ///
    /// # Panics
    ///
    /// If the page came from another pool (a bug).
    pub(crate) fn free_page(&self, p: PoolPage) {
        assert!(core::ptr::eq(p.pool.as_ptr(), self));
        let page = p.page;
        core::mem::forget(p);
        // SAFETY: The page came from this pool (checked above) and is no longer used.
        unsafe { bindings::mempool_free(page.as_ptr().cast(), self.raw()) };
    }
}

#[pinned_drop]
impl PinnedDrop for Mempool {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: By the type invariant the pool is initialised; every element handed out
        // holds no reference to it that could be used after this (see `PoolBox`'s `Drop`).
        unsafe { bindings::mempool_exit(self.raw()) };
    }
}

/// An element of a kmalloc [`Mempool`] holding a `T`.
///
/// # Invariants
///
/// `ptr` points to a block of `pool` that holds a valid `T` and is owned by this box. If the
/// box is dropped instead of being returned with [`Mempool::free`], the `T` is dropped and the
/// block leaked (the pool may be gone by then); the I/O path always returns its boxes.
pub(crate) struct PoolBox<T> {
    ptr: NonNull<T>,
    pool: NonNull<Mempool>,
}

// SAFETY: A `PoolBox<T>` owns its `T`.
unsafe impl<T: Send> Send for PoolBox<T> {}
// SAFETY: `&PoolBox<T>` only gives `&T`.
unsafe impl<T: Sync> Sync for PoolBox<T> {}

impl<T> PoolBox<T> {
    /// Gives up ownership for a C callback's context; [`PoolBox::from_raw`] takes it back.
    pub(crate) fn into_raw(self) -> (NonNull<T>, NonNull<Mempool>) {
        let parts = (self.ptr, self.pool);
        core::mem::forget(self);
        parts
    }

    /// Takes back a box given up with [`PoolBox::into_raw`].
    ///
    /// # Safety
    ///
    /// `ptr` and `pool` must come from one `into_raw` call, and ownership must be the caller's
    /// to take back (once).
    pub(crate) unsafe fn from_raw(ptr: NonNull<T>, pool: NonNull<Mempool>) -> Self {
        // INVARIANT: Guaranteed by the caller: the parts of a valid box.
        Self { ptr, pool }
    }
}

impl<T> core::ops::Deref for PoolBox<T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: By the type invariant `ptr` is a valid `T` owned by the box.
        unsafe { self.ptr.as_ref() }
    }
}

impl<T> core::ops::DerefMut for PoolBox<T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: By the type invariant `ptr` is a valid `T` owned by the box.
        unsafe { self.ptr.as_mut() }
    }
}

impl<T> Drop for PoolBox<T> {
    fn drop(&mut self) {
        pr_warn!("mempool element dropped without being freed to its pool; leaking it\n");
        // SAFETY: The `T` is valid and owned; the memory itself is leaked.
        unsafe { core::ptr::drop_in_place(self.ptr.as_ptr()) };
    }
}

/// An order-0 page of a page [`Mempool`].
///
/// # Invariants
///
/// `page` is a page allocated from `pool` and owned by this value; dropping it instead of
/// returning it with [`Mempool::free_page`] leaks the page.
pub(crate) struct PoolPage {
    page: NonNull<bindings::page>,
    pool: NonNull<Mempool>,
}

// SAFETY: A page may be owned and freed on any thread.
unsafe impl Send for PoolPage {}

impl PoolPage {
    pub(crate) fn as_raw(&self) -> *mut bindings::page {
        self.page.as_ptr()
    }

    pub(crate) fn pool(&self) -> NonNull<Mempool> {
        self.pool
    }

    /// # Safety
    ///
    /// `page` must be a page of `pool` that the caller owns.
    pub(crate) unsafe fn from_raw(page: *mut bindings::page, pool: NonNull<Mempool>) -> Self {
        // INVARIANT: Guaranteed by the caller.
        Self {
            // SAFETY: Pages of a pool are never null.
            page: unsafe { NonNull::new_unchecked(page) },
            pool,
        }
    }
}

impl Drop for PoolPage {
    fn drop(&mut self) {
        pr_warn!("mempool page dropped without being freed to its pool; leaking it\n");
    }
}
