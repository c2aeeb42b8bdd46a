// SPDX-License-Identifier: GPL-2.0

//! Scatterlists of several entries, allocated per request: the multi-data-unit path's crypto
//! API backend describes a whole bio's data in one request.
//!
//! C header: [`include/linux/scatterlist.h`](srctree/include/linux/scatterlist.h)

use super::request::SgEntry;
use crate::{
    bindings,
    gfp::Gfp, //
};
use core::ptr::NonNull;

/// A kmalloc'ed scatterlist of `nents` entries, end-marked, freed on drop.
///
/// # Invariants
///
/// `sg` points to `nents > 0` entries from `sg_alloc` (initialised by `sg_init_table`), owned
/// by this value.
pub(crate) struct SgTable {
    sg: NonNull<bindings::scatterlist>,
    nents: u32,
}

// SAFETY: The table is plain memory owned by this value; a completion on another CPU may free
// it.
unsafe impl Send for SgTable {}

impl SgTable {
    /// A table of `nents` empty entries from `gfp`; `None` without memory (or for 0 entries).
    pub(crate) fn new(nents: u32, gfp: Gfp) -> Option<Self> {
        if nents == 0 {
            return None;
        }
        // SAFETY: Any count and flags are valid; failure (and only failure) returns null.
        let sg = NonNull::new(unsafe { bindings::sg_alloc(nents, gfp.raw()) })?;
        // INVARIANT: A fresh, initialised allocation of `nents` entries.
        Some(Self { sg, nents })
    }

    /// Points entry `i` at `e` (ignored beyond the end; the end mark stays on the last).
    pub(crate) fn set(&mut self, i: u32, e: SgEntry) {
        if i < self.nents {
            // SAFETY: Entry `i` is within the table (type invariant); `sg_set_page` keeps the
            // end mark `sg_init_table` set.
            unsafe {
                super::scatterlist::sg_set_page(
                    self.sg.as_ptr().add(i as usize),
                    e.page,
                    e.len,
                    e.offset,
                )
            };
        }
    }

    /// The first entry, for a request.
    pub(super) fn raw(&self) -> *mut bindings::scatterlist {
        self.sg.as_ptr()
    }
}

impl Drop for SgTable {
    fn drop(&mut self) {
        // SAFETY: By the type invariant the table is a kmalloc allocation we own.
        unsafe { bindings::kfree(self.sg.as_ptr().cast()) };
    }
}

/// The scatterlists of one multi-data-unit request: its source, and its destination unless
/// it works in place.
pub(crate) struct SgTables {
    pub(crate) src: SgTable,
    pub(crate) dst: Option<SgTable>,
}
