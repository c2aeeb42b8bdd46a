// SPDX-License-Identifier: GPL-2.0

//! Allocation flags the kernel crate does not offer (`GFP_NOIO` and friends).
//!
//! C header: [`include/linux/gfp_types.h`](srctree/include/linux/gfp_types.h)

use crate::bindings;

/// A set of `gfp_t` allocation flags.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct Gfp(bindings::gfp_t);

impl Gfp {
    /// `GFP_NOIO`: may sleep and reclaim, but never starts I/O (the I/O path's default).
    pub(crate) const NOIO: Self = Self(bindings::GFP_NOIO);
    /// `GFP_NOWAIT`: never sleeps (for `map` and completion contexts).
    pub(crate) const NOWAIT: Self = Self(bindings::GFP_NOWAIT);
    /// `GFP_ATOMIC`: never sleeps, may use the atomic reserves (interrupt context).
    pub(crate) const ATOMIC: Self = Self(bindings::GFP_ATOMIC);
    /// `__GFP_NORETRY`: fail rather than retry hard.
    pub(crate) const NORETRY: Self = Self(bindings::__GFP_NORETRY);
    /// `__GFP_NOWARN`: no allocation failure warning.
    pub(crate) const NOWARN: Self = Self(bindings::__GFP_NOWARN);
    /// `__GFP_COMP`: a higher-order allocation as one compound page (a large folio).
    pub(crate) const COMP: Self = Self(bindings::__GFP_COMP);
    /// `__GFP_NOMEMALLOC`: never dip into the emergency reserves.
    pub(crate) const NOMEMALLOC: Self = Self(bindings::__GFP_NOMEMALLOC);

    /// The union of two flag sets.
    pub(crate) const fn with(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }

    /// Whether the allocation may sleep (`__GFP_DIRECT_RECLAIM`).
    pub(crate) const fn may_sleep(self) -> bool {
        self.0 & bindings::__GFP_DIRECT_RECLAIM != 0
    }

    pub(crate) const fn raw(self) -> bindings::gfp_t {
        self.0
    }
}
