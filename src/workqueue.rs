// SPDX-License-Identifier: GPL-2.0

//! Workqueues this module allocates itself, with the flags dm-crypt needs.
//!
//! `kernel::workqueue` can only use the system queues or wrap an existing one; this adds
//! allocation (`alloc_workqueue`) with `WQ_*` flags and destruction on drop, and hands out the
//! kernel crate's [`Queue`] for enqueueing.
//!
//! It also adds [`QueueWork`], a work item set up when it is queued rather than when its
//! object is made (dm-crypt's `INIT_WORK(&io->work, ...)` right before `queue_work`): an
//! object that is never queued, as most bios of a table without workqueues, costs nothing for
//! it. `kernel::workqueue::Work` is set up with its object, once.
//!
//! C header: [`include/linux/workqueue.h`](srctree/include/linux/workqueue.h)

use crate::bindings;
use core::ptr::NonNull;
use kernel::{
    container_of,
    prelude::*,
    sync::{
        aref::{
            ARef,
            AlwaysRefCounted, //
        },
        atomic::{
            Acquire,
            Atomic,
            Release, //
        },
        LockClassKey,
    },
    types::Opaque,
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

/// A work item that is set up each time it is queued ([`queue_work_on`], [`queue_work_bh`]),
/// embedded in an object that implements [`HasQueueWork`] and is queued with a reference of
/// its own.
///
/// # Invariants
///
/// `pending` is 1 from the [`enqueue`] that set it until the work function has taken the
/// queued reference back; only then is `work` initialised and the workqueue's.
#[pin_data]
pub(crate) struct QueueWork {
    #[pin]
    work: Opaque<bindings::work_struct>,
    pending: Atomic<u32>,
}

impl QueueWork {
    /// An idle work item: nothing is set up until it is queued.
    pub(crate) fn new() -> impl PinInit<Self> {
        // SAFETY: The closure initialises the flag, the only field with a value to hold (the
        // work item is set up by `enqueue`), and cannot fail. Written alone, not as part
        // of a struct value: that would store the work item's 32 undefined bytes as zeroes, in
        // every bio's `map`.
        // INVARIANT: Not pending.
        unsafe {
            pin_init::pin_init_from_closure(|slot: *mut Self| {
                (&raw mut (*slot).pending).write(Atomic::new(0));
                Ok(())
            })
        }
    }
}

/// An object with a [`QueueWork`], run by [`HasQueueWork::run`] when the work item runs.
///
/// # Safety
///
/// [`HasQueueWork::work`] returns a pointer to a [`QueueWork`] field of the object, and
/// [`HasQueueWork::from_work`] is its inverse.
pub(crate) unsafe trait HasQueueWork: AlwaysRefCounted + Send + Sync + Sized {
    /// The work item of the object at `this`.
    ///
    /// # Safety
    ///
    /// `this` points to a valid object.
    unsafe fn work(this: *const Self) -> *const QueueWork;

    /// The object whose work item is at `work`.
    ///
    /// # Safety
    ///
    /// `work` was returned by [`HasQueueWork::work`] for a valid object.
    unsafe fn from_work(work: *const QueueWork) -> *const Self;

    /// The work: runs on the queue with the reference that was queued, in process context
    /// ([`queue_work_on`]).
    fn run(this: ARef<Self>);

    /// The work queued with [`queue_work_bh`]: runs in softirq context, where nothing may
    /// sleep.
    fn run_bh(this: ARef<Self>);
}

/// Queues `this` on the system BH workqueue with the reference, to [`HasQueueWork::run_bh`]
/// there, in softirq context. The work item is set up now, with the lockdep class `key` and
/// `name`: each place that queues on a kind of queue of its own (process or softirq context)
/// names its own, as each `INIT_WORK` in C does. Fails, handing the reference back, if the
/// object is queued already.
pub(crate) fn queue_work_bh<T: HasQueueWork>(
    this: ARef<T>,
    name: &'static CStr,
    key: Pin<&'static LockClassKey>,
) -> Result<(), ARef<T>> {
    let bh = NonNull::from(kernel::workqueue::system_bh());
    // SAFETY: The system BH workqueue is never destroyed.
    unsafe { enqueue::<T, true>(this, bh, name, key) }
}

/// Queues `this` with the reference on `queue`, a process-context workqueue, to
/// [`HasQueueWork::run`] there; the work item is set up now, as [`queue_work_bh`]'s. The queue
/// may go as soon as the work item has run, as a queue whose owner waits for the work before
/// it destroys the queue (dm-crypt's `queue_work` on `cc->crypt_queue`, with no reference held
/// across the call).
///
/// # Safety
///
/// `queue` must point to a queue that is not destroyed before the work item has run; it may be
/// destroyed (`destroy_workqueue`) from then on, even before this call returns. The workqueue
/// core allows that: `queue_work_on` reads the queue under `rcu_read_lock` and no longer once
/// the work item can run (after it drops the pool's lock), and `destroy_workqueue` frees the
/// queue after an RCU grace period.
pub(crate) unsafe fn queue_work_on<T: HasQueueWork>(
    this: ARef<T>,
    queue: NonNull<Queue>,
    name: &'static CStr,
    key: Pin<&'static LockClassKey>,
) -> Result<(), ARef<T>> {
    // SAFETY: As this function's (caller).
    unsafe { enqueue::<T, false>(this, queue, name, key) }
}

/// [`queue_work_on`] and [`queue_work_bh`]: `BH` says which of [`HasQueueWork::run`] and
/// [`HasQueueWork::run_bh`] the work item runs, which is the one of `queue`'s context.
///
/// # Safety
///
/// As [`queue_work_on`]'s; `queue` is a BH workqueue if and only if `BH`.
unsafe fn enqueue<T: HasQueueWork, const BH: bool>(
    this: ARef<T>,
    queue: NonNull<Queue>,
    name: &'static CStr,
    key: Pin<&'static LockClassKey>,
) -> Result<(), ARef<T>> {
    // SAFETY: `this` is a valid object.
    let w = unsafe { &*T::work(&*this) };
    if w.pending.xchg(1, Acquire) != 0 {
        return Err(this);
    }
    let work = w.work.get();
    // SAFETY: The work item is not pending (we set the flag), so the workqueue does not use
    // it: it may be set up afresh, with `run_work::<T, BH>`, which takes a `T` as queued here.
    unsafe {
        bindings::init_work_with_key(
            work,
            Some(run_work::<T, BH>),
            false,
            name.as_char_ptr(),
            key.as_ptr(),
        )
    };
    // `Queue` is a transparent wrapper of the C `struct workqueue_struct`
    // (`kernel::workqueue::Queue::from_raw` relies on it too).
    let wq = queue.as_ptr().cast::<bindings::workqueue_struct>();
    // INVARIANT: Pending until `run_work` takes the reference back, which the queue holds.
    let _ = ARef::into_raw(this);
    // SAFETY: `wq` is a live queue until the work item has run (caller), which is as long as
    // `queue_work_on` uses it; `work` is a work item set up above and not pending, so
    // `queue_work_on` queues it; the object lives while the queued reference does.
    unsafe {
        bindings::queue_work_on(bindings::wq_misc_consts_WORK_CPU_UNBOUND as c_int, wq, work)
    };
    Ok(())
}

/// The work function of every [`QueueWork`] of a `T`.
///
/// # Safety
///
/// `work` is the work item of a [`QueueWork`] of a `T`, queued by [`enqueue`] with the same
/// `BH`.
unsafe extern "C" fn run_work<T: HasQueueWork, const BH: bool>(work: *mut bindings::work_struct) {
    // SAFETY: `work` is the `work` field of a `QueueWork` (caller).
    let w = unsafe { container_of!(Opaque::cast_from(work), QueueWork, work) };
    // SAFETY: `w` came from `HasQueueWork::work` of a `T` (caller).
    let this = unsafe { T::from_work(w) };
    // SAFETY: `enqueue` gave the workqueue a reference on `this`, ours now; its work
    // item may be set up and queued again from here on (the workqueue no longer uses it once
    // this function runs).
    let this = unsafe { ARef::from_raw(NonNull::new_unchecked(this.cast_mut())) };
    // SAFETY: `w` is within `this`, which our reference keeps.
    unsafe { (*w).pending.store(0, Release) };
    if BH {
        T::run_bh(this)
    } else {
        T::run(this)
    }
}
