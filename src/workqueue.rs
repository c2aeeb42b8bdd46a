// SPDX-License-Identifier: GPL-2.0

//! Workqueues this module allocates itself, with the flags dm-crypt needs.
//!
//! `kernel::workqueue` can only use the system queues or wrap an existing one; this adds
//! allocation (`alloc_workqueue`) with `WQ_*` flags and destruction on drop, and hands out the
//! kernel crate's [`Queue`] for enqueueing.
//!
//! C header: [`include/linux/workqueue.h`](srctree/include/linux/workqueue.h)

use crate::bindings;
use core::ptr::NonNull;
use kernel::{
    prelude::*,
    workqueue::Queue, //
};

/// Workqueue flags (`WQ_*`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct WqFlags(u32);

impl WqFlags {
    /// `WQ_MEM_RECLAIM`: a rescuer thread guarantees progress under memory pressure.
    pub(crate) const MEM_RECLAIM: Self = Self(bindings::wq_flags_WQ_MEM_RECLAIM);
    /// `WQ_UNBOUND`: work runs on any CPU.
    pub(crate) const UNBOUND: Self = Self(bindings::wq_flags_WQ_UNBOUND);
    /// `WQ_PERCPU`: work runs on the CPU that queued it.
    pub(crate) const PERCPU: Self = Self(bindings::wq_flags_WQ_PERCPU);
    /// `WQ_CPU_INTENSIVE`: long-running work does not hold up the CPU's other work.
    pub(crate) const CPU_INTENSIVE: Self = Self(bindings::wq_flags_WQ_CPU_INTENSIVE);
    /// `WQ_HIGHPRI`: high-priority worker pool.
    pub(crate) const HIGHPRI: Self = Self(bindings::wq_flags_WQ_HIGHPRI);
    /// `WQ_SYSFS`: visible in sysfs.
    pub(crate) const SYSFS: Self = Self(bindings::wq_flags_WQ_SYSFS);

    /// The union of two flag sets.
    pub(crate) const fn with(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }
}

/// An allocated workqueue, destroyed (after draining) on drop.
///
/// # Invariants
///
/// `wq` is a workqueue allocated by `alloc_workqueue` and not yet destroyed.
pub(crate) struct OwnedQueue {
    wq: NonNull<bindings::workqueue_struct>,
}

// SAFETY: A workqueue may be used and destroyed from any thread.
unsafe impl Send for OwnedQueue {}
// SAFETY: Enqueueing through `&OwnedQueue` is thread safe.
unsafe impl Sync for OwnedQueue {}

impl OwnedQueue {
    /// Allocates a workqueue named `name` with `flags` and `max_active` (0: the default).
    pub(crate) fn new(name: &CStr, flags: WqFlags, max_active: i32) -> Result<Self> {
        // SAFETY: `name` is a valid C string; the helper formats it with "%s".
        let wq = unsafe { bindings::alloc_workqueue(name.as_char_ptr(), flags.0, max_active) };
        // INVARIANT: A non-null result is a freshly allocated workqueue.
        Ok(Self {
            wq: NonNull::new(wq).ok_or(ENOMEM)?,
        })
    }

    /// The queue, to enqueue work items on.
    pub(crate) fn queue(&self) -> &Queue {
        // SAFETY: By the type invariant the workqueue is valid until `self` is dropped, which
        // outlives the returned reference.
        unsafe { Queue::from_raw(self.wq.as_ptr()) }
    }
}

impl Drop for OwnedQueue {
    fn drop(&mut self) {
        // SAFETY: By the type invariant `wq` is a live workqueue; `destroy_workqueue` drains it.
        unsafe { bindings::destroy_workqueue(self.wq.as_ptr()) };
    }
}

/// The number of online CPUs (the `max_active` of an unbound queue that uses them all).
pub(crate) fn num_online_cpus() -> u32 {
    // SAFETY: The helper only reads the CPU mask weight.
    unsafe { bindings::num_online_cpus() }
}
