// SPDX-License-Identifier: GPL-2.0

//! The kernel crypto API: symmetric ciphers on scatterlists.
//!
//! C header: [`include/crypto/skcipher.h`](srctree/include/crypto/skcipher.h)

pub(crate) mod aes;
pub(crate) mod skcipher;
