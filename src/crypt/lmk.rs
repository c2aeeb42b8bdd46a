// SPDX-License-Identifier: GPL-2.0

//! The loop-AES IV (`lmk`): an MD5 state, not finalised, over the optional seed, the sector's
//! plaintext after its first 16 bytes, and the sector number (`crypt_iv_lmk_one`).
//!
//! Writes encrypt with that IV. Reads decrypt with a zero IV, which spoils only the first
//! cipher block; the IV is then computed over the rest of the plaintext, which is right, and
//! XORed into the first block (`crypt_iv_lmk_post`). Sectors are always 512 bytes.
//!
//! Pure logic, tested on the host.

/// The seed of loop-AES version 3 (`LMK_SEED_SIZE`): the 65th key part's first 16 bytes,
/// zero-padded to one MD5 block.
pub(crate) const LMK_SEED_SIZE: usize = 64;
/// How much of the 65th key part the seed takes (`MD5_DIGEST_SIZE`).
pub(crate) const LMK_SEED_KEY_BYTES: usize = 16;
/// The sector size the mode works on.
pub(crate) const LMK_SECTOR_SIZE: usize = 512;

/// The MD5 state after whole 64-byte blocks: no padding, no length.
struct Md5 {
    h: [u32; 4],
}

/// Per-round shift amounts.
const S: [u32; 64] = [
    7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9,
    14, 20, 5, 9, 14, 20, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 6, 10, 15,
    21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21,
];

/// `floor(abs(sin(i + 1)) * 2^32)`.
const K: [u32; 64] = [
    0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
    0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
    0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
    0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
    0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
    0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
    0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
    0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
];

impl Md5 {
    fn new() -> Self {
        Self {
            h: [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476],
        }
    }

    /// Processes one 64-byte block.
    fn block(&mut self, block: &[u8; 64]) {
        let m: [u32; 16] = core::array::from_fn(|i| {
            u32::from_le_bytes([
                block[4 * i],
                block[4 * i + 1],
                block[4 * i + 2],
                block[4 * i + 3],
            ])
        });
        let [mut a, mut b, mut c, mut d] = self.h;
        for i in 0..64 {
            let (f, g) = match i / 16 {
                0 => ((b & c) | (!b & d), i),
                1 => ((d & b) | (!d & c), (5 * i + 1) % 16),
                2 => (b ^ c ^ d, (3 * i + 5) % 16),
                _ => (c ^ (b | !d), (7 * i) % 16),
            };
            let f = f.wrapping_add(a).wrapping_add(K[i]).wrapping_add(m[g]);
            a = d;
            d = c;
            c = b;
            b = b.wrapping_add(f.rotate_left(S[i]));
        }
        for (h, v) in self.h.iter_mut().zip([a, b, c, d]) {
            *h = h.wrapping_add(v);
        }
    }

    /// The state as bytes, little endian (`cpu_to_le32_array(ctx.state.h)`).
    fn state(&self) -> [u8; 16] {
        let mut out = [0u8; 16];
        for (i, h) in self.h.iter().enumerate() {
            out[4 * i..4 * i + 4].copy_from_slice(&h.to_le_bytes());
        }
        out
    }
}

/// Processes `data` (a multiple of 64 bytes) block by block.
fn blocks(md5: &mut Md5, data: &[u8]) {
    let mut block = [0u8; 64];
    for i in 0..data.len() / 64 {
        block.copy_from_slice(&data[64 * i..64 * i + 64]);
        md5.block(&block);
    }
}

/// Writes the loop-AES IV of `sector` for the 512-byte `plaintext` into `iv` (its first
/// `min(iv.len(), 16)` bytes; the rest is left as it is).
///
/// # Panics
///
/// If `plaintext` is shorter than [`LMK_SECTOR_SIZE`] (a caller bug: the constructor refuses
/// other sector sizes).
pub(crate) fn lmk_iv(
    seed: Option<&[u8; LMK_SEED_SIZE]>,
    sector: u64,
    plaintext: &[u8],
    iv: &mut [u8],
) {
    let mut md5 = Md5::new();
    if let Some(seed) = seed {
        md5.block(seed);
    }
    // Blocks 1..32 of the sector (bytes 16..512): seven MD5 blocks, then 48 bytes that the
    // 16-byte sector trailer completes to an eighth.
    let data = &plaintext[16..LMK_SECTOR_SIZE];
    blocks(&mut md5, &data[..448]);
    let mut last = [0u8; 64];
    last[..48].copy_from_slice(&data[448..]);
    // The sector, cropped to 56 bits, then the constants loop-AES hashes.
    last[48..52].copy_from_slice(&(sector as u32).to_le_bytes());
    let high = (((sector >> 32) as u32) & 0x00ff_ffff) | 0x8000_0000;
    last[52..56].copy_from_slice(&high.to_le_bytes());
    last[56..60].copy_from_slice(&4024u32.to_le_bytes());
    md5.block(&last);
    let state = md5.state();
    let n = iv.len().min(state.len());
    iv[..n].copy_from_slice(&state[..n]);
}

/// The read-side tweak (`crypt_iv_lmk_post`): recomputes the IV over the decrypted
/// `plaintext` and XORs it into its first `iv_size` bytes.
pub(crate) fn lmk_post_read(
    seed: Option<&[u8; LMK_SEED_SIZE]>,
    sector: u64,
    plaintext: &mut [u8],
    iv_size: usize,
) {
    let mut iv = [0u8; 16];
    let n = iv_size.min(iv.len());
    lmk_iv(seed, sector, plaintext, &mut iv[..n]);
    for (p, i) in plaintext.iter_mut().zip(&iv[..n]) {
        *p ^= i;
    }
}

/// The standard MD5 digest of a short message, padded by hand: the block function checked
/// against published digests (host tests only).
#[cfg(test)]
pub(crate) fn md5_padded(message: &[u8]) -> [u8; 16] {
    let mut md5 = Md5::new();
    let mut buf = [0u8; 128];
    let n = message.len();
    assert!(n < 56 + 64);
    buf[..n].copy_from_slice(message);
    buf[n] = 0x80;
    let total = if n < 56 { 64 } else { 128 };
    buf[total - 8..total].copy_from_slice(&((n as u64) * 8).to_le_bytes());
    blocks(&mut md5, &buf[..total]);
    md5.state()
}
