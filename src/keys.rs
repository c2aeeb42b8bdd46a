// SPDX-License-Identifier: GPL-2.0

//! Key material: buffers that are wiped (`memzero_explicit`) when dropped.

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

/// The key types a table may name (`:<size>:<type>:<description>`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum KeyType {
    /// `logon`: readable by the kernel only.
    Logon,
    /// `user`.
    User,
}

/// Reads the payload of key `description` of `ty` from the caller's keyrings into `out`,
/// which must be exactly the payload's size (`crypt_set_keyring_key`'s `set_key_user`).
pub(crate) fn read_user_key(ty: KeyType, description: &CStr, out: &mut [u8]) -> Result {
    // Only the address of the kernel's key type statics is taken.
    let kt = match ty {
        KeyType::Logon => &raw mut bindings::key_type_logon,
        KeyType::User => &raw mut bindings::key_type_user,
    };
    // SAFETY: `kt` is a registered key type and `description` a C string.
    let key = kernel::error::from_err_ptr(unsafe {
        bindings::request_key(kt, description.as_char_ptr())
    })?;
    // SAFETY: `key` is a valid key we hold a reference on; its payload is read under the
    // semaphore, as `user_key_payload_locked` requires.
    unsafe {
        bindings::down_read(&raw mut (*key).sem);
        let ukp = bindings::user_key_payload_locked(key);
        let r = if ukp.is_null() {
            Err(EKEYREVOKED)
        } else if usize::from((*ukp).datalen) != out.len() {
            Err(EINVAL)
        } else {
            core::ptr::copy_nonoverlapping(
                (*ukp).data.as_ptr().cast::<u8>(),
                out.as_mut_ptr(),
                out.len(),
            );
            Ok(())
        };
        bindings::up_read(&raw mut (*key).sem);
        bindings::key_put(key);
        r
    }
}
