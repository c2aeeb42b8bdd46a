// SPDX-License-Identifier: GPL-2.0

//! Scatterlist entries (`struct scatterlist`).
//!
//! The per-sector path points two entries at the sector's pages for every request, and sets
//! up both for every new one, so `sg_set_page` and `sg_init_table` are written out here rather
//! than called (`sg_init_table` is an exported function that calls `memset`: two calls per
//! table, for a few stores).
//!
//! C header: [`include/linux/scatterlist.h`](srctree/include/linux/scatterlist.h)

use crate::bindings;
use kernel::ffi::c_ulong;

/// Makes the `nents` entries at `sg` an empty table whose last entry is its end
/// (`sg_init_table`: zeroed, then `sg_mark_end` on the last).
///
/// # Safety
///
/// `sg` must be valid for writes of `nents` entries, `nents > 0`, and no request in flight may
/// use them.
#[inline]
pub(crate) unsafe fn sg_init_table(sg: *mut bindings::scatterlist, nents: usize) {
    // SAFETY: `sg` is valid for writes of `nents > 0` entries (caller); all-zero bytes are a
    // valid `struct scatterlist`. The last entry of a zeroed table has no chain mark to clear.
    unsafe {
        core::ptr::write_bytes(sg, 0, nents);
        (*sg.add(nents - 1)).page_link = bindings::SG_END as c_ulong;
    }
}

/// Points `sg` at `len` bytes at `offset` in `page`, keeping the entry's chain and end marks
/// (`sg_set_page`).
///
/// # Safety
///
/// `sg` must be valid for writes and initialised (`sg_init_table`), and no request in flight
/// may use it.
pub(crate) unsafe fn sg_set_page(
    sg: *mut bindings::scatterlist,
    page: *mut bindings::page,
    len: u32,
    offset: u32,
) {
    let marks = (bindings::SG_CHAIN | bindings::SG_END) as c_ulong;
    // SAFETY: `sg` is valid for writes (caller). A `struct page` is aligned well beyond the
    // two mark bits, so the pointer leaves them free (what `sg_assign_page` checks).
    unsafe {
        (*sg).page_link = ((*sg).page_link & marks) | page as c_ulong;
        (*sg).offset = offset;
        (*sg).length = len;
    }
}
