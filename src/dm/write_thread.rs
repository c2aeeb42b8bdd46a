// SPDX-License-Identifier: GPL-2.0

//! A kernel thread that submits a target's I/Os in ascending order of a key (dm-crypt's
//! `dmcrypt_write` thread and its `write_tree`).
//!
//! Any context may [`WriteThread::push`] an I/O: a lock-free push onto a list, and a wake-up
//! when the list was empty. The thread takes the whole list at once, sorts it by
//! [`SortedSubmit::sort_key`] (stably: equal keys keep their order), and hands the I/Os to
//! [`SortedSubmit::submit_sorted`] one by one under a block plug, so that the writes that piled up
//! while it ran reach the device as one sorted batch.
//!
//! C version: `kcryptd_crypt_write_io_submit` and `dmcrypt_write` in
//! [`drivers/md/dm-crypt.c`](srctree/drivers/md/dm-crypt.c)

use super::{
    io::Io,
    sorted_list::{
        next,
        set_next,
        sort_pushed,
        SortNode, //
    },
};
use crate::bindings;
use core::{
    marker::PhantomPinned,
    ptr::{
        null_mut,
        NonNull, //
    },
};
use kernel::{
    prelude::*,
    sync::{
        aref::ARef,
        atomic::{
            Acquire,
            Atomic,
            Relaxed,
            Release, //
        },
    },
    types::Opaque,
};

/// What the thread needs from a target's I/O.
pub(crate) trait SortedSubmit: super::IoOps {
    /// The key the thread sorts by (dm-crypt: the I/O's sector).
    fn sort_key(&self) -> u64;

    /// Submits `io`, in key order with the rest of its batch, from the thread.
    fn submit_sorted(io: ARef<Io<Self>>);
}

/// The sorted submission thread of a target's I/Os.
///
/// # Invariants
///
/// - `head` is null or the first of a list of `Io<T>`s linked by their `write_next`, each
///   holding one reference that the list owns.
/// - `task` is null until [`WriteThread::start`] succeeded, then a kernel thread that runs
///   [`WriteThread::thread_fn`] on `self` until `drop` stops it (`self` is pinned).
#[pin_data(PinnedDrop)]
pub(crate) struct WriteThread<T: SortedSubmit> {
    head: Atomic<*mut Io<T>>,
    task: Atomic<*mut bindings::task_struct>,
    #[pin]
    _pin: PhantomPinned,
}

// SAFETY: The list is manipulated with atomics only; the thread pointer is set once.
unsafe impl<T: SortedSubmit> Send for WriteThread<T> {}
// SAFETY: As above.
unsafe impl<T: SortedSubmit> Sync for WriteThread<T> {}

impl<T: SortedSubmit> WriteThread<T> {
    /// An empty queue without a thread yet; see [`WriteThread::start`].
    pub(crate) fn new() -> impl PinInit<Self> {
        pin_init!(Self {
            head: Atomic::new(null_mut()),
            task: Atomic::new(null_mut()),
            _pin: PhantomPinned,
        })
    }

    /// Starts the thread, named `name` (at most 15 characters are shown), at the highest
    /// priority if `high_priority` (`set_user_nice(MIN_NICE)`).
    pub(crate) fn start(self: Pin<&Self>, name: &CStr, high_priority: bool) -> Result {
        let data = core::ptr::from_ref(self.get_ref())
            .cast_mut()
            .cast::<c_void>();
        // SAFETY: `thread_fn` takes `data`, a pinned `Self` that `drop` keeps alive until the
        // thread stopped; the name is formatted with "%s".
        let task = kernel::error::from_err_ptr(unsafe {
            bindings::kthread_create_on_node(
                Some(Self::thread_fn),
                data,
                bindings::NUMA_NO_NODE,
                c"%s".as_char_ptr(),
                name.as_char_ptr(),
            )
        })?;
        if high_priority {
            // SAFETY: `task` is a valid, not yet running thread.
            unsafe { bindings::set_user_nice(task, bindings::MIN_NICE as isize) };
        }
        // INVARIANT: The thread runs `thread_fn` on `self`, stopped in `drop`.
        self.task.store(task, Release);
        // SAFETY: `task` is valid: it cannot exit before `kthread_stop`.
        unsafe { bindings::wake_up_process(task) };
        Ok(())
    }

    /// Queues `io` for submission by the thread. Any context.
    pub(crate) fn push(&self, io: ARef<Io<T>>) {
        let node = ARef::into_raw(io).as_ptr();
        let mut head = self.head.load(Relaxed);
        loop {
            // SAFETY: `node` is a live `Io` whose reference we own, not yet on the list.
            unsafe { set_next(node, head) };
            match self.head.cmpxchg(head, node, Release) {
                Ok(_) => break,
                Err(h) => head = h,
            }
        }
        // INVARIANT: The list owns the reference `into_raw` gave up.
        let task = self.task.load(Acquire);
        // Before `start`, the thread finds the list when it starts.
        if head.is_null() && !task.is_null() {
            // SAFETY: A started thread lives until `drop`, which cannot run while a target's
            // I/O is still being queued.
            unsafe { bindings::wake_up_process(task) };
        }
    }

    /// # Safety
    ///
    /// Called by the kthread machinery with the `data` of `start`.
    unsafe extern "C" fn thread_fn(data: *mut c_void) -> c_int {
        // SAFETY: `data` is the pinned `Self` of `start`, alive until this function returns
        // (`drop` waits for it with `kthread_stop`).
        let this = unsafe { &*data.cast::<Self>() };
        loop {
            // Go to sleep unless there is work: the state is set before the check, so that a
            // push after the check wakes `schedule` up.
            // SAFETY: Sets the current thread's own state.
            unsafe { bindings::set_current_state_interruptible() };
            let batch = this.head.xchg(null_mut(), Acquire);
            if !batch.is_null() {
                // SAFETY: As above.
                unsafe { bindings::set_current_state_running() };
                // SAFETY: The list now belongs to this thread alone (type invariant).
                unsafe { Self::submit_batch(batch) };
                continue;
            }
            // SAFETY: Called from a kernel thread.
            if unsafe { bindings::kthread_should_stop() } {
                // SAFETY: As above.
                unsafe { bindings::set_current_state_running() };
                return 0;
            }
            // SAFETY: Sleeping is allowed here; a wake-up or `kthread_stop` ends it.
            unsafe { bindings::schedule() };
        }
    }

    /// Sorts the list at `batch` and submits its I/Os in order, under a plug.
    ///
    /// # Safety
    ///
    /// `batch` must be a non-empty list as in the type invariant, owned by the caller.
    unsafe fn submit_batch(batch: *mut Io<T>) {
        // SAFETY: Forwarded from the caller.
        let mut node = unsafe { sort_pushed(batch) };
        let plug = Opaque::<bindings::blk_plug>::uninit();
        // SAFETY: `plug` lives on this stack frame until `blk_finish_plug` below.
        unsafe { bindings::blk_start_plug(plug.get()) };
        while let Some(n) = NonNull::new(node) {
            // SAFETY: `n` is a node of our list; read its link before the reference goes.
            node = unsafe { next(n.as_ptr()) };
            // SAFETY: The list owned one reference on `n` (type invariant); it is ours now.
            let io = unsafe { ARef::from_raw(n) };
            T::submit_sorted(io);
            // SAFETY: A kernel thread may reschedule between submissions.
            unsafe { bindings::cond_resched() };
        }
        // SAFETY: Started above.
        unsafe { bindings::blk_finish_plug(plug.get()) };
    }
}

// SAFETY: `link` returns the `Io`'s own `write_next`, which only the holder of the list's
// reference on the `Io` accesses (`Io`'s invariant).
unsafe impl<T: SortedSubmit> SortNode for Io<T> {
    fn key(&self) -> u64 {
        self.data().sort_key()
    }

    unsafe fn link(this: *mut Self) -> *mut *mut Self {
        // SAFETY: `this` is live (caller).
        unsafe { (*this).write_next.get() }
    }
}

#[pinned_drop]
impl<T: SortedSubmit> PinnedDrop for WriteThread<T> {
    fn drop(self: Pin<&mut Self>) {
        let task = self.task.load(Acquire);
        if !task.is_null() {
            // SAFETY: The thread was started by `start` and has not been stopped; this waits
            // for `thread_fn` to return, after which nothing uses `self`.
            unsafe { bindings::kthread_stop(task) };
        }
        // Targets have completed all their I/O before they are destroyed: the list is empty.
        debug_assert!(self.head.load(Relaxed).is_null());
    }
}
