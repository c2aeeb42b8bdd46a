// SPDX-License-Identifier: GPL-2.0

//! Block I/O (`struct bio`).
//!
//! C header: [`include/linux/bio.h`](srctree/include/linux/bio.h)

use crate::bindings;
use kernel::types::Opaque;

/// A bio owned by whoever holds the `&mut` to it.
///
/// # Invariants
///
/// The wrapped `bio` is valid, and the holder of a `&mut Bio` may complete or submit it.
#[repr(transparent)]
pub(crate) struct Bio(Opaque<bindings::bio>);

impl Bio {
    /// # Safety
    ///
    /// `ptr` must be a valid bio owned by the caller for `'a`.
    pub(crate) unsafe fn from_raw_mut<'a>(ptr: *mut bindings::bio) -> &'a mut Self {
        // CAST: `Bio` is `repr(transparent)` over `Opaque<bio>`.
        // SAFETY: Guaranteed by the caller.
        unsafe { &mut *ptr.cast() }
    }

    /// The bio's size in bytes.
    pub(crate) fn size(&self) -> u32 {
        // SAFETY: The bio is valid (type invariant).
        unsafe { (*self.0.get()).bi_iter.bi_size }
    }
}
