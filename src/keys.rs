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

    /// Fills the buffer with random bytes.
    pub(crate) fn fill_random(&mut self) {
        random_bytes(&mut self.buf);
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

/// Fills `buf` with random bytes (`get_random_bytes`).
pub(crate) fn random_bytes(buf: &mut [u8]) {
    // SAFETY: `buf` is valid for writes of its length.
    unsafe { bindings::get_random_bytes(buf.as_mut_ptr().cast(), buf.len()) };
}

/// The key types a table may name (`:<size>:<type>:<description>`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum KeyType {
    /// `logon`: readable by the kernel only.
    Logon,
    /// `user`.
    User,
    /// `encrypted`: decrypted by the kernel with a master key.
    Encrypted,
    /// `trusted`: sealed by a TPM or TEE (only where the kernel has trusted keys).
    #[cfg(CONFIG_TRUSTED_KEYS)]
    Trusted,
}

impl KeyType {
    /// The type of a key string's `<type>` part, if the kernel has it.
    pub(crate) fn from_name(name: &[u8]) -> Option<Self> {
        Some(match name {
            b"logon" => Self::Logon,
            b"user" => Self::User,
            b"encrypted" => Self::Encrypted,
            #[cfg(CONFIG_TRUSTED_KEYS)]
            b"trusted" => Self::Trusted,
            _ => return None,
        })
    }

    fn raw(self) -> *mut bindings::key_type {
        // Only the address of the kernel's key type statics is taken.
        match self {
            Self::Logon => &raw mut bindings::key_type_logon,
            Self::User => &raw mut bindings::key_type_user,
            Self::Encrypted => &raw mut bindings::key_type_encrypted,
            #[cfg(CONFIG_TRUSTED_KEYS)]
            Self::Trusted => &raw mut bindings::key_type_trusted,
        }
    }

    /// The key's payload; `None` if the key was revoked.
    ///
    /// # Safety
    ///
    /// `key` must be a valid key of this type, its semaphore held for reading; the result
    /// lives no longer than that.
    unsafe fn payload<'a>(self, key: *mut bindings::key) -> Option<&'a [u8]> {
        // SAFETY: (For all arms.) The key is valid, of this type, and read-locked (caller), so
        // its payload is either null (revoked) or the type's payload structure.
        unsafe {
            match self {
                Self::Logon | Self::User => {
                    let ukp = bindings::user_key_payload_locked(key);
                    let ukp = ukp.as_ref()?;
                    Some(core::slice::from_raw_parts(
                        ukp.data.as_ptr().cast::<u8>(),
                        usize::from(ukp.datalen),
                    ))
                }
                Self::Encrypted => {
                    let ekp = bindings::dereference_key_locked(key)
                        .cast::<bindings::encrypted_key_payload>();
                    let ekp = ekp.as_ref()?;
                    Some(core::slice::from_raw_parts(
                        ekp.decrypted_data,
                        usize::from(ekp.decrypted_datalen),
                    ))
                }
                #[cfg(CONFIG_TRUSTED_KEYS)]
                Self::Trusted => {
                    let tkp = bindings::dereference_key_locked(key)
                        .cast::<bindings::trusted_key_payload>();
                    let tkp = tkp.as_ref()?;
                    let len = (tkp.key_len as usize).min(tkp.key.len());
                    Some(&tkp.key[..len])
                }
            }
        }
    }
}

/// Reads the payload of key `description` of `ty` from the caller's keyrings into `out`,
/// which must be exactly the payload's size (`crypt_set_keyring_key`'s `set_key_*`).
pub(crate) fn read_key(ty: KeyType, description: &CStr, out: &mut [u8]) -> Result {
    // SAFETY: `ty.raw()` is a registered key type and `description` a C string.
    let key = kernel::error::from_err_ptr(unsafe {
        bindings::request_key(ty.raw(), description.as_char_ptr())
    })?;
    // SAFETY: `key` is a valid key of type `ty` we hold a reference on; its payload is read
    // under the semaphore, as the payload accessors require, and the reference is put after.
    unsafe {
        bindings::down_read(&raw mut (*key).sem);
        let r = match ty.payload(key) {
            None => Err(EKEYREVOKED),
            Some(p) if p.len() != out.len() => Err(EINVAL),
            Some(p) => {
                out.copy_from_slice(p);
                Ok(())
            }
        };
        bindings::up_read(&raw mut (*key).sem);
        bindings::key_put(key);
        r
    }
}
