// SPDX-License-Identifier: GPL-2.0

//! The volume key (`cc->key`, `cc->key_string`): decoding the key argument, keying the
//! transforms (`crypt_set_key`, `crypt_setkey`), wiping (`crypt_wipe_key`) and the key's
//! form in the status line.

use super::{
    cipher::Keying,
    scan::{
        hex2bin,
        is_space, //
    },
    table::{
        self,
        KeyArg, //
    },
};
use crate::{
    dm::StatusWriter,
    keys::{
        read_key,
        KeyType,
        SecretBuf, //
    },
};
use core::fmt::Write;
use kernel::prelude::*;

/// The key and where it came from.
pub(super) struct CryptKey {
    /// The key bytes; zeroed after use when they came from a keyring (the transforms keep
    /// them), random then zero after `key wipe`.
    key: SecretBuf,
    /// `<type>:<description>` of a keyring key.
    key_string: Option<KVec<u8>>,
    /// Whether the transforms hold the key (`DM_CRYPT_KEY_VALID`); a device resumes only
    /// with a valid key.
    valid: bool,
}

impl CryptKey {
    /// A key of `size` bytes, not set yet.
    pub(super) fn new(size: usize) -> Result<Self, AllocError> {
        Ok(Self {
            key: SecretBuf::new(size)?,
            key_string: None,
            valid: false,
        })
    }

    /// The key bytes (for the IV generators' key material).
    pub(super) fn bytes(&self) -> &[u8] {
        self.key.as_slice()
    }

    /// The key size in bytes.
    pub(super) fn size(&self) -> usize {
        self.key.as_slice().len()
    }

    /// Whether the transforms hold the key (`DM_CRYPT_KEY_VALID`).
    pub(super) fn is_valid(&self) -> bool {
        self.valid
    }

    /// Forgets the key bytes of a keyring key once the transforms and IV generators have
    /// them ("wipe the kernel key payload copy").
    pub(super) fn drop_keyring_copy(&mut self) {
        if self.key_string.is_some() {
            self.key.wipe();
        }
    }

    /// `crypt_set_key`: decodes `arg` (hex, `-`, or `:<size>:<type>:<description>`) into the
    /// key and keys the transforms. The key is valid after a success, and invalid after a
    /// failure past reading the key. The caller wipes the argument.
    pub(super) fn set(&mut self, arg: &CStr, keying: &Keying<'_>) -> Result {
        let bytes = arg.to_bytes();
        // A hyphen (a key size of zero) means no key.
        if self.size() == 0 && bytes != b"-" {
            return Err(EINVAL);
        }
        let (_, form) = table::key_size(bytes).map_err(|_| EINVAL)?;
        match form {
            KeyArg::Keyring(spec) => {
                // `spec` is `<type>:<description>`, the tail of the NUL-terminated argument.
                let full = arg.to_bytes_with_nul();
                let spec_c = &full[full.len() - 1 - spec.len()..];
                self.set_keyring(spec, spec_c, keying)
            }
            KeyArg::Hex(hex) => {
                self.valid = false;
                self.key_string = None;
                if self.size() > 0 && !hex2bin(self.key.as_mut_slice(), hex) {
                    return Err(EINVAL);
                }
                keying.set(self.key.as_slice())?;
                self.valid = true;
                Ok(())
            }
        }
    }

    /// `crypt_set_keyring_key`: reads key `<type>:<description>`; `spec_c` is `spec` with its
    /// NUL. A failure to read the key leaves everything as it was.
    fn set_keyring(&mut self, spec: &[u8], spec_c: &[u8], keying: &Keying<'_>) -> Result {
        // dm core cannot escape white space in the status line, so it is refused.
        if spec.iter().any(|&c| is_space(c)) {
            pr_err!("whitespace chars not allowed in key string\n");
            return Err(EINVAL);
        }
        let colon = spec.iter().position(|&c| c == b':').ok_or(EINVAL)?;
        if colon == 0 || colon + 1 == spec.len() {
            return Err(EINVAL);
        }
        let ty = KeyType::from_name(&spec[..colon]).ok_or(EINVAL)?;
        let desc = CStr::from_bytes_with_nul(&spec_c[colon + 1..]).map_err(|_| EINVAL)?;
        let mut key_string = KVec::new();
        key_string.extend_from_slice(spec, GFP_KERNEL)?;
        read_key(ty, desc, self.key.as_mut_slice())?;
        // What follows may invalidate a previously valid key.
        self.valid = false;
        keying.set(self.key.as_slice())?;
        self.valid = true;
        self.key_string = Some(key_string);
        Ok(())
    }

    /// `crypt_wipe_key` (the key part): the key is invalid, random bytes go into the
    /// transforms, then zeros here. The caller wipes the IV generators' material.
    pub(super) fn wipe(&mut self, keying: &Keying<'_>) -> Result {
        self.valid = false;
        self.key.fill_random();
        self.key_string = None;
        let r = keying.set(self.key.as_slice());
        self.key.wipe();
        r
    }

    /// The key as the status line shows it: `:<size>:<type>:<description>` for a keyring key,
    /// `-` for none, else lowercase hex.
    pub(super) fn status(&self, w: &mut StatusWriter) -> core::fmt::Result {
        if let Some(ks) = &self.key_string {
            write!(w, ":{}:{}", self.size(), table::Bytes(ks))
        } else if self.size() == 0 {
            w.write_char('-')
        } else {
            for b in self.key.as_slice() {
                write!(w, "{b:02x}")?;
            }
            Ok(())
        }
    }
}

use kernel::alloc::AllocError;
