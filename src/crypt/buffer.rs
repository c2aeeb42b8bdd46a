// SPDX-License-Identifier: GPL-2.0

//! Private page buffers for encrypted writes and integrity rechecks (`crypt_alloc_buffer`).

use super::config::CryptConfig;
use crate::{
    bio::{
        Bio,
        OwnedBio, //
    },
    gfp::Gfp,
};
use kernel::page::PAGE_SIZE;

/// The largest compound page a buffer tries (`MAX_PAGE_ORDER` on x86).
const MAX_PAGE_ORDER: u32 = 10;

/// How a buffer may wait for pool pages.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Wait {
    /// Only for the first page: the buffer may come out smaller (a write fragment), so that a
    /// writer never holds pool pages while it waits for more.
    First,
    /// For every page: the whole size or nothing (the caller serialises such buffers, as
    /// upstream's `bio_alloc_lock` does, so two of them never wait for each other).
    All,
}

/// A bio for the device with private pages for up to `bytes` of data (at most `max_pages`
/// pages) and the operation and flags of `like`. Like `crypt_alloc_buffer` it takes compound
/// pages where the page allocator has them free right now, and pages of the pool otherwise.
/// `order` is the compound page order to try first; it only ever decreases, across the
/// buffers of one bio. Returns the bio and the bytes it holds (whole sectors), `None` if not
/// even one sector could be had.
pub(super) fn alloc_buffer(
    cfg: &CryptConfig,
    like: &Bio,
    bytes: u32,
    max_pages: u32,
    wait: Wait,
    order: &mut u32,
) -> Option<(OwnedBio, u32)> {
    let page = PAGE_SIZE as u32;
    let want = bytes.min(max_pages * page);
    let mut bio = cfg
        .bs
        .alloc_bio(cfg.dev.bdev(), want.div_ceil(page) as u16, like, Gfp::NOIO)?;
    let mut have = 0u32;
    while have < want {
        let remaining = want - have;
        // First a compound page as large as the rest needs, if one is free right now.
        *order = (*order)
            .min(MAX_PAGE_ORDER)
            .min(remaining.div_ceil(page).ilog2());
        let mut added = 0;
        while *order > 0 {
            added = bio.add_compound(*order, remaining);
            if added > 0 {
                break;
            }
            *order -= 1;
        }
        if added == 0 {
            // Then pages of the pool.
            let gfp = if have == 0 || wait == Wait::All {
                Gfp::NOIO
            } else {
                Gfp::NOWAIT
                    .with(Gfp::NOWARN)
                    .with(Gfp::NORETRY)
                    .with(Gfp::NOMEMALLOC)
            };
            let Some(p) = cfg.bs.alloc_page(gfp) else {
                break;
            };
            let len = page.min(remaining);
            if let Err(p) = bio.add_page(p, len) {
                cfg.bs.free_page(p);
                break;
            }
            added = len;
        }
        have += added;
    }
    // A buffer ends on a sector boundary (sector sizes are powers of two).
    have &= !(cfg.features.sector_size - 1);
    if have == 0 || (wait == Wait::All && have < bytes) {
        return None;
    }
    // The bio covers exactly the buffer's data.
    bio.set_size(have);
    Some((bio, have))
}

/// The compound page order a new bio's buffers start with.
pub(super) const FIRST_ORDER: u32 = MAX_PAGE_ORDER;
