// SPDX-License-Identifier: GPL-2.0

//! Block integrity metadata: the lower device's profile, per-I/O tag buffers, and their
//! attachment to bios (`bio_integrity_alloc`, `bio_integrity_add_page`).
//!
//! dm-crypt keeps one tuple per encryption sector: the AEAD tag, then an IV stored per sector
//! (the `random` IV mode), then padding. A device such as dm-integrity in external-tag mode
//! stores the tuples beside the data.
//!
//! C headers: [`include/linux/bio-integrity.h`](srctree/include/linux/bio-integrity.h),
//! [`include/linux/blk-integrity.h`](srctree/include/linux/blk-integrity.h)

use crate::{
    bindings,
    bio::{
        BlockDevice,
        OwnedBio, //
    },
    gfp::Gfp,
    mempool::Mempool,
};
use core::ptr::NonNull;
use kernel::{
    page::PAGE_SIZE,
    prelude::*, //
};

/// The integrity profile of a block device (`struct blk_integrity`).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Profile {
    /// Whether the device checks a checksum of its own (protection information): then it
    /// cannot hold dm-crypt's tags.
    pub(crate) has_checksum: bool,
    /// Bytes of metadata per interval (`metadata_size`).
    pub(crate) metadata_size: u32,
    /// The interval the metadata covers, in bytes (`1 << interval_exp`).
    pub(crate) interval: u32,
}

impl BlockDevice {
    /// The device's integrity profile, if it has one (`blk_get_integrity`).
    pub(crate) fn integrity(&self) -> Option<Profile> {
        // SAFETY: The device is valid; the profile lives in its queue limits, read at once.
        unsafe {
            let bi = bindings::bdev_get_integrity(self.as_raw()).as_ref()?;
            Some(Profile {
                has_checksum: bi.csum_type
                    != bindings::blk_integrity_checksum_BLK_INTEGRITY_CSUM_NONE,
                metadata_size: bi.metadata_size.into(),
                interval: 1 << bi.interval_exp,
            })
        }
    }
}

/// Where a [`TagBuf`] came from.
enum Origin {
    Kmalloc,
    Pool(NonNull<Mempool>),
}

/// The integrity metadata of one I/O: `len` bytes of kmalloc'ed memory (from a pool of
/// same-sized blocks, or not), freed on drop.
///
/// # Invariants
///
/// `ptr` is valid for `len` bytes of directly mapped memory owned by this value; a pool
/// block belongs to the pool `origin` names, which outlives the buffer.
pub(crate) struct TagBuf {
    ptr: NonNull<u8>,
    len: usize,
    origin: Origin,
}

// SAFETY: The buffer is plain memory owned by the value.
unsafe impl Send for TagBuf {}
// SAFETY: `&TagBuf` gives out raw ranges only ([`TagRange`]), whose users uphold exclusivity.
unsafe impl Sync for TagBuf {}

/// A range of a [`TagBuf`]: one sector's tuple, or the tuples of a bio. A handle, not an
/// access: dm-crypt's conversion hands each tuple to one request at a time.
#[derive(Clone, Copy)]
pub(crate) struct TagRange {
    pub(crate) ptr: *mut u8,
    pub(crate) len: u32,
}

impl TagBuf {
    /// `len` bytes from kmalloc (`gfp` as the caller needs: dm-crypt tries without the
    /// reserves first, `__GFP_NORETRY | __GFP_NOMEMALLOC | __GFP_NOWARN`).
    pub(crate) fn alloc(len: usize, gfp: Gfp) -> Option<Self> {
        if len > bindings::KMALLOC_MAX_SIZE as usize {
            return None;
        }
        // SAFETY: Any size and flags are valid; failure returns null.
        let ptr = NonNull::new(unsafe { bindings::__kmalloc_noprof(len, gfp.raw()) }.cast())?;
        // INVARIANT: A fresh kmalloc block of `len` bytes.
        Some(Self {
            ptr,
            len,
            origin: Origin::Kmalloc,
        })
    }

    /// A block of `pool` (a kmalloc pool of `len`-byte blocks, the tag pool); `None` only if
    /// `gfp` cannot sleep.
    pub(crate) fn from_pool(pool: &Mempool, len: usize, gfp: Gfp) -> Option<Self> {
        let ptr = pool.alloc_block(len, gfp)?;
        // INVARIANT: A block of `pool`, which by the caller's contract outlives the buffer
        // (the target's pools outlive its I/O).
        Some(Self {
            ptr,
            len,
            origin: Origin::Pool(NonNull::from(pool)),
        })
    }

    /// The `len` bytes at `offset`, if within the buffer.
    pub(crate) fn range(&self, offset: usize, len: usize) -> Option<TagRange> {
        if offset.checked_add(len)? > self.len {
            return None;
        }
        Some(TagRange {
            // SAFETY: `offset + len <= self.len`, within the allocation.
            ptr: unsafe { self.ptr.as_ptr().add(offset) },
            len: len as u32,
        })
    }
}

impl Drop for TagBuf {
    fn drop(&mut self) {
        match self.origin {
            // SAFETY: By the type invariant `ptr` is a kmalloc block we own.
            Origin::Kmalloc => unsafe { bindings::kfree_sensitive(self.ptr.as_ptr().cast()) },
            // SAFETY: By the type invariant the block belongs to the pool, which is alive.
            Origin::Pool(pool) => unsafe { pool.as_ref().free_block(self.ptr) },
        }
    }
}

impl TagRange {
    /// Runs `f` on the bytes.
    ///
    /// # Safety
    ///
    /// The buffer must be alive, and nothing else may access the range meanwhile.
    pub(crate) unsafe fn with_bytes<R>(&self, f: impl FnOnce(&mut [u8]) -> R) -> R {
        // SAFETY: Guaranteed by the caller.
        f(unsafe { core::slice::from_raw_parts_mut(self.ptr, self.len as usize) })
    }
}

impl OwnedBio {
    /// Attaches `tags` as the bio's integrity payload, for the bio's sectors
    /// (`dm_crypt_integrity_io_alloc`).
    ///
    /// # Safety
    ///
    /// The tag memory must stay valid until the bio completed.
    pub(crate) unsafe fn attach_integrity(&mut self, tags: TagRange, gfp: Gfp) -> Result {
        let bio = self.bio_mut().as_raw();
        // SAFETY: The bio is ours and has no payload yet; `tags` is directly mapped memory
        // valid until the bio completes (caller), added as one (physically contiguous) range.
        unsafe {
            let bip =
                kernel::error::from_err_ptr(bindings::bio_integrity_alloc(bio, gfp.raw(), 1))?;
            (*bip).bip_iter.bi_sector = (*bio).bi_iter.bi_sector;
            let page = bindings::virt_to_page(tags.ptr.cast());
            let offset = (tags.ptr as usize % PAGE_SIZE) as u32;
            let added = bindings::bio_integrity_add_page(bio, page, tags.len, offset);
            if added != tags.len as c_int {
                return Err(ENOMEM);
            }
        }
        Ok(())
    }
}
