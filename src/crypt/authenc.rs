// SPDX-License-Identifier: GPL-2.0

//! The key of an `authenc(<mac>,<cipher>)` AEAD (`crypt_copy_authenckey`).
//!
//! dm-crypt's key for such a spec is the encryption key followed by the MAC key; the crypto
//! API wants an `rtattr` header carrying the encryption key length (`struct
//! crypto_authenc_key_param`, big endian), then the MAC key, then the encryption key.
//!
//! Pure logic, tested on the host.

/// `RTA_SPACE(sizeof(struct crypto_authenc_key_param))`: the header's size.
pub(crate) const AUTHENC_HEADER: usize = 8;
/// `CRYPTO_AUTHENC_KEYA_PARAM`: the header's attribute type.
const CRYPTO_AUTHENC_KEYA_PARAM: u16 = 1;

/// The size of the authenc key for a dm-crypt key (part) of `subkey` bytes
/// (`crypt_authenckey_size`).
pub(crate) fn authenc_key_size(subkey: usize) -> usize {
    subkey + AUTHENC_HEADER
}

/// Writes the authenc form of `key` (encryption key, then `mac_size` bytes of MAC key) into
/// `out`, which must be [`authenc_key_size`] bytes. `None` if the key is shorter than the MAC
/// key (upstream's `-EINVAL`) or `out` has the wrong size.
pub(crate) fn authenc_key(key: &[u8], mac_size: usize, out: &mut [u8]) -> Option<()> {
    let enc_len = key.len().checked_sub(mac_size)?;
    if out.len() != authenc_key_size(key.len()) {
        return None;
    }
    // struct rtattr { u16 rta_len; u16 rta_type; } in host order, then the parameter.
    out[0..2].copy_from_slice(&(AUTHENC_HEADER as u16).to_ne_bytes());
    out[2..4].copy_from_slice(&CRYPTO_AUTHENC_KEYA_PARAM.to_ne_bytes());
    out[4..8].copy_from_slice(&(enc_len as u32).to_be_bytes());
    out[8..8 + mac_size].copy_from_slice(&key[enc_len..]);
    out[8 + mac_size..].copy_from_slice(&key[..enc_len]);
    Some(())
}
