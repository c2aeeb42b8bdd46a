// SPDX-License-Identifier: GPL-2.0

//! Scatterlist entries (`struct scatterlist`).
//!
//! The per-sector path points two entries at the sector's pages for every request, so
//! `sg_set_page` is written out here rather than called through a C helper.
//!
//! C header: [`include/linux/scatterlist.h`](srctree/include/linux/scatterlist.h)

use crate::bindings;
use kernel::ffi::c_ulong;

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
