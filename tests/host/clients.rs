// SPDX-License-Identifier: GPL-2.0

//! Tests of the per-device page ceiling (`src/crypt/clients.rs`).

use crate::clients::*;
use core::sync::atomic::Ordering;

#[test]
fn two_percent_of_memory_shared_equally() {
    // 16 GiB of 4 KiB pages: 2% is 83886 pages, for one device or shared by four.
    let total = 16 << 18;
    assert_eq!(pages_per_client(total, 1), total * 2 / 100);
    assert_eq!(pages_per_client(total, 4), total * 2 / 100 / 4);
}

#[test]
fn never_below_the_minimum() {
    // 1 GiB, 2% is 5242 pages: two devices would get less than 4096 each.
    let total = 1 << 18;
    assert_eq!(pages_per_client(total, 1), 5242);
    assert_eq!(pages_per_client(total, 2), DM_CRYPT_MIN_PAGES_PER_CLIENT);
    assert_eq!(pages_per_client(total, 1000), DM_CRYPT_MIN_PAGES_PER_CLIENT);
    assert_eq!(pages_per_client(0, 1), DM_CRYPT_MIN_PAGES_PER_CLIENT);
    assert_eq!(pages_per_client(total, 0), DM_CRYPT_MIN_PAGES_PER_CLIENT);
}

#[test]
fn no_overflow_on_huge_machines() {
    let total = usize::MAX;
    assert_eq!(
        pages_per_client(total, 1),
        total / 100 * 2 + total % 100 * 2 / 100
    );
}

#[test]
fn the_ceiling_follows_the_devices() {
    let total = 64 << 18;
    let a = Client::register(total);
    let b = Client::register(total);
    // Other tests may hold clients of their own at the same time: at least these two.
    assert!(PAGES_PER_CLIENT.load(Ordering::SeqCst) <= pages_per_client(total, 2));
    drop(b);
    drop(a);
}
