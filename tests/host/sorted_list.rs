// SPDX-License-Identifier: GPL-2.0

//! Tests of the write thread's list sort (`src/dm/sorted_list.rs`).

use crate::sorted_list::*;
use core::ptr::null_mut;

/// A list node: its key and the order in which it was pushed.
struct Node {
    key: u64,
    pushed: usize,
    next: *mut Node,
}

// SAFETY: `link` returns the node's own `next`.
unsafe impl SortNode for Node {
    fn key(&self) -> u64 {
        self.key
    }

    unsafe fn link(this: *mut Self) -> *mut *mut Self {
        // SAFETY: `this` is live (caller).
        unsafe { &raw mut (*this).next }
    }
}

/// Pushes nodes with `keys` (in that order) onto a list, sorts it, and returns
/// `(key, pushed)` of the sorted list from head to tail.
fn sort(keys: &[u64]) -> Vec<(u64, usize)> {
    let mut nodes: Vec<Node> = keys
        .iter()
        .enumerate()
        .map(|(pushed, &key)| Node {
            key,
            pushed,
            next: null_mut(),
        })
        .collect();
    let base = nodes.as_mut_ptr();
    let mut head: *mut Node = null_mut();
    for i in 0..nodes.len() {
        // SAFETY: `i` is in bounds; `nodes` is not touched otherwise until the end.
        let n = unsafe { base.add(i) };
        // SAFETY: `n` is live.
        unsafe { (*n).next = head };
        head = n;
    }
    // SAFETY: A list of live nodes that this function owns.
    let mut node = unsafe { sort_pushed(head) };
    let mut out = Vec::new();
    while !node.is_null() {
        // SAFETY: The sorted list holds the same live nodes.
        let n = unsafe { &*node };
        out.push((n.key, n.pushed));
        node = n.next;
        assert!(out.len() <= keys.len(), "the sorted list has a cycle");
    }
    out
}

/// What the sort must return: ascending keys, equal keys in the order of pushing.
fn expected(keys: &[u64]) -> Vec<(u64, usize)> {
    let mut v: Vec<(u64, usize)> = keys.iter().copied().zip(0..).collect();
    v.sort();
    v
}

/// A small deterministic generator (xorshift64*), so that failures reproduce.
fn keys(seed: u64, len: usize, range: u64) -> Vec<u64> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            x.wrapping_mul(0x2545_f491_4f6c_dd1d) % range
        })
        .collect()
}

#[test]
fn empty_and_single() {
    assert_eq!(sort(&[]), vec![]);
    assert_eq!(sort(&[7]), vec![(7, 0)]);
}

#[test]
fn small_lists_in_every_order() {
    assert_eq!(sort(&[1, 2]), expected(&[1, 2]));
    assert_eq!(sort(&[2, 1]), expected(&[2, 1]));
    for k in [
        [1, 2, 3],
        [1, 3, 2],
        [2, 1, 3],
        [2, 3, 1],
        [3, 1, 2],
        [3, 2, 1],
    ] {
        assert_eq!(sort(&k), expected(&k), "{k:?}");
    }
}

#[test]
fn sorted_and_reversed_runs() {
    let up: Vec<u64> = (0..100).collect();
    let down: Vec<u64> = (0..100).rev().collect();
    assert_eq!(sort(&up), expected(&up));
    assert_eq!(sort(&down), expected(&down));
}

#[test]
fn random_lists_of_every_length_up_to_300() {
    for len in 0..=300 {
        let k = keys(len as u64 + 1, len, u64::MAX);
        assert_eq!(sort(&k), expected(&k), "length {len}");
    }
}

#[test]
fn equal_keys_keep_the_order_of_pushing() {
    // Few distinct keys, so most compare equal: the sort must be stable.
    for len in [2, 3, 31, 32, 33, 64, 257] {
        let k = keys(len as u64 * 7, len, 4);
        assert_eq!(sort(&k), expected(&k), "length {len}");
    }
    let same = vec![5; 50];
    assert_eq!(sort(&same), expected(&same));
}

#[test]
fn extreme_keys() {
    let k = [u64::MAX, 0, u64::MAX, 1, 0];
    assert_eq!(sort(&k), expected(&k));
}
