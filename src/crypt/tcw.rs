// SPDX-License-Identifier: GPL-2.0

//! The TrueCrypt IV and whitening (`tcw`, TrueCrypt before 4.1, CBC).
//!
//! The key ends with an IV seed (`iv_size` bytes) and a whitening value (16 bytes). The IV of
//! a sector is the seed XOR the little-endian sector number (`crypt_iv_tcw_gen`). The
//! ciphertext of every sector is additionally XORed with 8 bytes derived from the whitening
//! value, the sector number and CRC32 (`crypt_iv_tcw_whitening`): writes apply it after
//! encryption, reads strip it before decryption. Sectors are always 512 bytes.
//!
//! Pure logic, tested on the host.

/// `TCW_WHITENING_SIZE`.
pub(crate) const TCW_WHITENING_SIZE: usize = 16;
/// The sector size the mode works on.
pub(crate) const TCW_SECTOR_SIZE: usize = 512;

/// `crc32_le(0, data)`: the reflected CRC-32 (polynomial 0xedb88320) with a zero seed and no
/// final inversion, as the kernel's `crc32()` computes it.
pub(crate) fn crc32_le(mut crc: u32, data: &[u8]) -> u32 {
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    crc
}

/// Writes the IV of `sector` into `iv`: the seed XOR the little-endian sector, the sector's
/// bytes used again from the start for the IV's second half (`crypto_xor_cpy` twice).
pub(crate) fn tcw_iv(iv_seed: &[u8], sector: u64, iv: &mut [u8]) {
    let s = sector.to_le_bytes();
    for (i, out) in iv.iter_mut().enumerate() {
        let seed = iv_seed.get(i).copied().unwrap_or(0);
        *out = seed ^ s[i % 8];
    }
}

/// XORs the whitening of `sector` into the 512-byte `data` (applying and stripping are the
/// same operation).
pub(crate) fn tcw_whiten(whitening: &[u8; TCW_WHITENING_SIZE], sector: u64, data: &mut [u8]) {
    let s = sector.to_le_bytes();
    let mut buf = [0u8; TCW_WHITENING_SIZE];
    for (i, b) in buf.iter_mut().enumerate() {
        *b = whitening[i] ^ s[i % 8];
    }
    // Each 32-bit part becomes its CRC32, then the halves fold into 8 bytes.
    for i in 0..4 {
        let part = &mut buf[4 * i..4 * i + 4];
        let crc = crc32_le(0, part);
        part.copy_from_slice(&crc.to_le_bytes());
    }
    for i in 0..4 {
        buf[i] ^= buf[12 + i];
        buf[4 + i] ^= buf[8 + i];
    }
    for (i, d) in data[..TCW_SECTOR_SIZE].iter_mut().enumerate() {
        *d ^= buf[i % 8];
    }
}
