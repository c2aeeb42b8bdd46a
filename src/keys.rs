// SPDX-License-Identifier: GPL-2.0

//! Key material: buffers that are wiped (`memzero_explicit`) when dropped.

#![allow(dead_code, reason = "the I/O path (issue 3) is being built on this")]

use crate::bindings;
use kernel::prelude::*;

/// A heap buffer for key material, zeroed with `memzero_explicit` on drop.
pub(crate) struct SecretBuf {
    buf: KVec<u8>,
}

impl SecretBuf {
    /// A zero-filled buffer of `len` bytes.
    pub(crate) fn new(len: usize) -> Result<Self, AllocError> {
        let mut buf = KVec::with_capacity(len, GFP_KERNEL)?;
        buf.resize(len, 0, GFP_KERNEL)?;
        Ok(Self { buf })
    }

    /// The bytes.
    pub(crate) fn as_slice(&self) -> &[u8] {
        &self.buf
    }

    /// The bytes, mutably.
    pub(crate) fn as_mut_slice(&mut self) -> &mut [u8] {
        &mut self.buf
    }

    /// Zeroes the buffer now.
    pub(crate) fn wipe(&mut self) {
        // SAFETY: The buffer is valid for writes of its length.
        unsafe { bindings::memzero_explicit(self.buf.as_mut_ptr().cast(), self.buf.len()) };
    }
}

impl Drop for SecretBuf {
    fn drop(&mut self) {
        self.wipe();
    }
}

use kernel::alloc::AllocError;
