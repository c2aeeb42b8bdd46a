// SPDX-License-Identifier: GPL-2.0

//! The kernel crypto API: symmetric ciphers and AEADs on scatterlists, their requests; and
//! the AES library: single AES blocks and AES-XTS messages.
//!
//! C header: [`include/crypto/skcipher.h`](srctree/include/crypto/skcipher.h)

pub(crate) mod aead;
pub(crate) mod aes;
pub(crate) mod aes_xts;
pub(crate) mod request;
pub(crate) mod scatterlist;
pub(crate) mod sg_table;
pub(crate) mod skcipher;

/// The data of a synchronous cipher call on mapped memory.
pub(crate) enum Buffers<'a> {
    /// Encrypted or decrypted where it is.
    InPlace(&'a mut [u8]),
    /// From `src` into `dst`, which must be at least as long.
    Copy { src: &'a [u8], dst: &'a mut [u8] },
}
