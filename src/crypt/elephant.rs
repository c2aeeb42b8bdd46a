// SPDX-License-Identifier: GPL-2.0

//! The BitLocker Elephant diffuser (`elephant`, CBC with the encrypted byte-offset IV).
//!
//! Before encryption the plaintext is XORed with a 32-byte sector key and passed through
//! diffusers A and B; after decryption the same is undone (`crypt_iv_elephant`). The sector key
//! is two AES blocks under the key's second half, of the sector's byte offset without and with
//! a marker bit. The diffusers work on the sector as little-endian 32-bit words.
//!
//! Pure logic, tested on the host; the AES block encryption is passed in.

/// The sector key of the sector at `byte_offset`; `aes` encrypts one block in place with the
/// key's second half.
pub(crate) fn sector_key(byte_offset: u64, mut aes: impl FnMut(&mut [u8; 16])) -> [u8; 32] {
    let mut ks = [0u8; 32];
    let mut es = [0u8; 16];
    es[..8].copy_from_slice(&byte_offset.to_le_bytes());
    let mut block = es;
    aes(&mut block);
    ks[..16].copy_from_slice(&block);
    es[15] = 0x80;
    let mut block = es;
    aes(&mut block);
    ks[16..].copy_from_slice(&block);
    ks
}

/// Word `i` of the sector.
fn get(d: &[u8], i: usize) -> u32 {
    let b = &d[4 * i..4 * i + 4];
    u32::from_le_bytes([b[0], b[1], b[2], b[3]])
}

fn set(d: &mut [u8], i: usize, v: u32) {
    d[4 * i..4 * i + 4].copy_from_slice(&v.to_le_bytes());
}

/// `d[i1] += d[i2] ^ rotl(d[i3], r)` (`r` 0: no rotation).
fn add(d: &mut [u8], i1: usize, i2: usize, i3: usize, r: u32) {
    let v = get(d, i1).wrapping_add(get(d, i2) ^ get(d, i3).rotate_left(r));
    set(d, i1, v);
}

/// `d[i1] -= d[i2] ^ rotl(d[i3], r)`.
fn sub(d: &mut [u8], i1: usize, i2: usize, i3: usize, r: u32) {
    let v = get(d, i1).wrapping_sub(get(d, i2) ^ get(d, i3).rotate_left(r));
    set(d, i1, v);
}

/// One diffuser direction: `passes` passes over the `n` words with the two index offsets
/// `o2`, `o3` and the rotations of the four steps of a round. The indices run forward
/// (decryption) or backward (encryption) and wrap modulo `n`, as the C loops do by hand.
struct Diffuser {
    passes: usize,
    o2: usize,
    o3: usize,
    rot: [u32; 4],
}

/// Diffuser A: `i2 = i1 - 2`, `i3 = i1 - 5`, rotations 9 and 13.
const A: Diffuser = Diffuser {
    passes: 5,
    o2: 2,
    o3: 5,
    rot: [9, 0, 13, 0],
};

/// Diffuser B: `i2 = i1 + 2`, `i3 = i1 + 5`, rotations 10 and 25.
const B: Diffuser = Diffuser {
    passes: 3,
    o2: 2,
    o3: 5,
    rot: [0, 10, 0, 25],
};

impl Diffuser {
    /// The partner indices of word `i1` of `n`: behind it for A, ahead of it for B.
    fn partners(&self, ahead: bool, i1: usize, n: usize) -> (usize, usize) {
        if ahead {
            ((i1 + self.o2) % n, (i1 + self.o3) % n)
        } else {
            ((i1 + n - self.o2) % n, (i1 + n - self.o3) % n)
        }
    }

    /// `diffuser_{a,b}_decrypt`: words 0, 1, ..., n-1, adding.
    fn decrypt(&self, d: &mut [u8], ahead: bool) {
        let n = d.len() / 4;
        for _ in 0..self.passes {
            for i1 in 0..n {
                let (i2, i3) = self.partners(ahead, i1, n);
                add(d, i1, i2, i3, self.rot[i1 % 4]);
            }
        }
    }

    /// `diffuser_{a,b}_encrypt`: words n-1, ..., 0, subtracting.
    fn encrypt(&self, d: &mut [u8], ahead: bool) {
        let n = d.len() / 4;
        for _ in 0..self.passes {
            for i1 in (0..n).rev() {
                let (i2, i3) = self.partners(ahead, i1, n);
                sub(d, i1, i2, i3, self.rot[i1 % 4]);
            }
        }
    }
}

fn xor_key(data: &mut [u8], ks: &[u8; 32]) {
    for (i, d) in data.iter_mut().enumerate() {
        *d ^= ks[i % 32];
    }
}

/// The write side, on plaintext already copied to the output: key, then diffusers A and B.
/// `data` is one sector (a multiple of 32 bytes).
pub(crate) fn encrypt(data: &mut [u8], ks: &[u8; 32]) {
    xor_key(data, ks);
    A.encrypt(data, false);
    B.encrypt(data, true);
}

/// The read side, on the decrypted sector: diffusers B and A, then the key.
pub(crate) fn decrypt(data: &mut [u8], ks: &[u8; 32]) {
    B.decrypt(data, true);
    A.decrypt(data, false);
    xor_key(data, ks);
}
