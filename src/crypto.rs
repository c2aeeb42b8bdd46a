// SPDX-License-Identifier: GPL-2.0

//! The kernel crypto API: symmetric ciphers and AEADs on scatterlists, their requests, and
//! single AES blocks.
//!
//! C header: [`include/crypto/skcipher.h`](srctree/include/crypto/skcipher.h)

pub(crate) mod aead;
pub(crate) mod aes;
pub(crate) mod request;
pub(crate) mod skcipher;
