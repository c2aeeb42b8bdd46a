// SPDX-License-Identifier: GPL-2.0

//! The memory each crypt device may hold in write buffers (`dm_crypt_pages_per_client`).
//!
//! All crypt devices together may take 2% of memory (`DM_CRYPT_MEMORY_PERCENT`) for the
//! private pages of encrypted writes, in equal shares, each at least
//! `DM_CRYPT_MIN_PAGES_PER_CLIENT` pages. Above its share a device takes no compound pages and
//! no page its pool would have to fetch without waiting; it gets its pages from the pool's
//! reserve, waiting for them if it must. So a device slows down under memory pressure but
//! never holds on to memory that reclaim needs, and its reserve still guarantees progress.
//!
//! `core` only: also built and tested on the host.

use core::sync::atomic::{
    AtomicUsize,
    Ordering, //
};

/// `DM_CRYPT_MEMORY_PERCENT`: the share of memory all crypt devices' buffers may take.
const DM_CRYPT_MEMORY_PERCENT: usize = 2;

/// `DM_CRYPT_MIN_PAGES_PER_CLIENT`: `BIO_MAX_VECS * 16`.
pub(crate) const DM_CRYPT_MIN_PAGES_PER_CLIENT: usize = 256 * 16;

/// `dm_crypt_clients_n`: the crypt devices (of this module) in existence.
static CLIENTS: AtomicUsize = AtomicUsize::new(0);

/// `dm_crypt_pages_per_client`: the ceiling of each device's page budget.
pub(crate) static PAGES_PER_CLIENT: AtomicUsize = AtomicUsize::new(DM_CRYPT_MIN_PAGES_PER_CLIENT);

/// `crypt_calculate_pages_per_client` for `total_pages` of memory and `clients` devices.
pub(crate) fn pages_per_client(total_pages: usize, clients: usize) -> usize {
    if clients == 0 {
        return DM_CRYPT_MIN_PAGES_PER_CLIENT;
    }
    (total_pages / 100 * DM_CRYPT_MEMORY_PERCENT
        + total_pages % 100 * DM_CRYPT_MEMORY_PERCENT / 100)
        .checked_div(clients)
        .unwrap_or(0)
        .max(DM_CRYPT_MIN_PAGES_PER_CLIENT)
}

/// One crypt device, counted in [`PAGES_PER_CLIENT`] from its construction to its
/// destruction.
pub(crate) struct Client {
    total_pages: usize,
}

impl Client {
    /// Counts one more device, on a machine with `total_pages` of memory.
    pub(crate) fn register(total_pages: usize) -> Self {
        CLIENTS.fetch_add(1, Ordering::SeqCst);
        recalculate(total_pages);
        Self { total_pages }
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        CLIENTS.fetch_sub(1, Ordering::SeqCst);
        recalculate(self.total_pages);
    }
}

/// Stores the ceiling for the current count. Upstream serialises this with a spinlock; here
/// whoever stores checks afterwards that the count it computed from is still current, and
/// stores again if not, so the ceiling always ends up computed from the latest count.
fn recalculate(total_pages: usize) {
    loop {
        let clients = CLIENTS.load(Ordering::SeqCst);
        PAGES_PER_CLIENT.store(pages_per_client(total_pages, clients), Ordering::SeqCst);
        if CLIENTS.load(Ordering::SeqCst) == clients {
            break;
        }
    }
}
