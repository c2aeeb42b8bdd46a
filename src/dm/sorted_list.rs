// SPDX-License-Identifier: GPL-2.0

//! Sorting an intrusive singly linked list by key, without allocating: what
//! [`super::WriteThread`] does to each batch of writes (dm-crypt keeps them in an rbtree,
//! `write_tree`, for the same purpose).
//!
//! Pure logic on raw pointers and `core` only: the host's `cargo test` runs it as well.

use core::ptr::null_mut;

/// A node of an intrusive singly linked list, ordered by a key.
///
/// # Safety
///
/// [`SortNode::link`] returns a pointer to the node's own link, a `*mut Self` that belongs to
/// the node (valid for reads and writes as long as the node is) and that only the owner of the
/// node's list accesses.
pub(crate) unsafe trait SortNode {
    /// The key the list is sorted by.
    fn key(&self) -> u64;

    /// The node's link to the next node (null at the end of the list).
    ///
    /// # Safety
    ///
    /// `this` is a live node.
    unsafe fn link(this: *mut Self) -> *mut *mut Self;
}

/// The node after `node`.
///
/// # Safety
///
/// `node` is a live node of a list the caller owns.
pub(super) unsafe fn next<N: SortNode>(node: *mut N) -> *mut N {
    // SAFETY: `node` is live, and its link is the caller's to use (`SortNode`, caller).
    unsafe { *N::link(node) }
}

/// Links `after` behind `node`.
///
/// # Safety
///
/// As for [`next`].
pub(super) unsafe fn set_next<N: SortNode>(node: *mut N, after: *mut N) {
    // SAFETY: As in `next`.
    unsafe { *N::link(node) = after };
}

/// Merges two lists sorted by key; on equal keys `a`'s come first.
///
/// # Safety
///
/// Both are (possibly empty) null-terminated lists of live nodes, owned by the caller.
unsafe fn merge<N: SortNode>(mut a: *mut N, mut b: *mut N) -> *mut N {
    let mut head: *mut N = null_mut();
    // Where the next node goes: `head`, then the link of the last node taken.
    let mut link: *mut *mut N = &raw mut head;
    while !a.is_null() && !b.is_null() {
        // SAFETY: Both are live nodes of the caller's lists.
        let from = if unsafe { (*a).key() <= (*b).key() } {
            &mut a
        } else {
            &mut b
        };
        let n = *from;
        // SAFETY: As above.
        *from = unsafe { next(n) };
        // SAFETY: `link` is `head` or the link of a node taken before, which the caller owns.
        unsafe { *link = n };
        // SAFETY: `n` is live.
        link = unsafe { N::link(n) };
    }
    // SAFETY: As above; what is left of the other list is sorted already.
    unsafe { *link = if a.is_null() { b } else { a } };
    head
}

/// Sorts a list that was built by pushing onto its head (so it is last-first) into ascending
/// key order, stably with respect to the order of pushing: of two nodes with the same key,
/// the one pushed first comes first. A bottom-up merge sort, O(n log n), no allocation.
///
/// # Safety
///
/// `list` is a (possibly empty) null-terminated list of live nodes, owned by the caller.
pub(crate) unsafe fn sort_pushed<N: SortNode>(mut list: *mut N) -> *mut N {
    // SAFETY: A non-null list starts with a live node (caller).
    if list.is_null() || unsafe { next(list) }.is_null() {
        // Nothing to sort: the common batch of a queue-depth-1 writer.
        return list;
    }
    // `parts[i]` holds a sorted run of 2^i nodes pushed before everything after it; slots
    // from `used` on are empty.
    let mut parts: [*mut N; 64] = [null_mut(); 64];
    let mut used = 0;
    // Pushing made the list last-first: reverse it to the order of pushing first.
    let mut forward: *mut N = null_mut();
    while !list.is_null() {
        // SAFETY: Live nodes (caller).
        let rest = unsafe { next(list) };
        // SAFETY: As above.
        unsafe { set_next(list, forward) };
        forward = list;
        list = rest;
    }
    while !forward.is_null() {
        let node = forward;
        // SAFETY: As above.
        forward = unsafe { next(node) };
        // SAFETY: As above.
        unsafe { set_next(node, null_mut()) };
        let mut carry = node;
        let mut i = 0;
        while i < parts.len() - 1 && !parts[i].is_null() {
            // SAFETY: Both are lists of live nodes; `parts[i]` was pushed earlier.
            carry = unsafe { merge(parts[i], carry) };
            parts[i] = null_mut();
            i += 1;
        }
        // SAFETY: As above (the last slot only fills after 2^63 nodes).
        parts[i] = unsafe { merge(parts[i], carry) };
        used = used.max(i + 1);
    }
    let mut result = null_mut();
    for &part in parts[..used].iter().filter(|p| !p.is_null()) {
        // SAFETY: As above; runs in higher slots were pushed earlier.
        result = unsafe { merge(part, result) };
    }
    result
}
