// SPDX-License-Identifier: GPL-2.0

//! Tests of the IV modes with data processing: loop-AES (`src/crypt/lmk.rs`), TrueCrypt
//! (`src/crypt/tcw.rs`) and the Elephant diffuser (`src/crypt/elephant.rs`). Their ciphertext
//! is checked against the C target in the guest; these pin the building blocks.

use crate::{
    elephant,
    lmk::*,
    tcw::*, //
};

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[test]
fn md5_block_function() {
    // RFC 1321's test suite.
    assert_eq!(hex(&md5_padded(b"")), "d41d8cd98f00b204e9800998ecf8427e");
    assert_eq!(hex(&md5_padded(b"abc")), "900150983cd24fb0d6963f7d28e17f72");
    assert_eq!(
        hex(&md5_padded(
            b"12345678901234567890123456789012345678901234567890123456789012345678901234567890"
        )),
        "57edf4a22be3c955ac49da2e2107b67a"
    );
}

fn sector(fill: u8) -> Vec<u8> {
    (0..512u32)
        .map(|i| (i as u8).wrapping_mul(7) ^ fill)
        .collect()
}

#[test]
fn lmk_iv_depends_on_what_loop_aes_hashes() {
    let p = sector(0);
    let mut a = [0u8; 16];
    lmk_iv(None, 5, &p, &mut a);
    // The first cipher block is not hashed (reads cannot know it before the tweak).
    let mut q = p.clone();
    q[..16].fill(0xff);
    let mut b = [0u8; 16];
    lmk_iv(None, 5, &q, &mut b);
    assert_eq!(a, b);
    // Everything else is: the data, the sector (56 bits) and the seed.
    q[100] ^= 1;
    lmk_iv(None, 5, &q, &mut b);
    assert_ne!(a, b);
    lmk_iv(None, 6, &p, &mut b);
    assert_ne!(a, b);
    lmk_iv(None, 5 | (1 << 56), &p, &mut b);
    assert_eq!(a, b, "the sector is cropped to 56 bits");
    let mut seed = [0u8; LMK_SEED_SIZE];
    seed[0] = 1;
    lmk_iv(Some(&seed), 5, &p, &mut b);
    assert_ne!(a, b);
    // An 8-byte IV (64-bit block ciphers) is the state's first half.
    let mut short = [0u8; 8];
    lmk_iv(None, 5, &p, &mut short);
    assert_eq!(short, a[..8]);
}

#[test]
fn lmk_read_tweak_restores_the_first_block() {
    // A CBC decryption with a zero IV leaves block 0 XORed with the real IV: the tweak must
    // give back the plaintext.
    let p = sector(3);
    let mut iv = [0u8; 16];
    lmk_iv(None, 77, &p, &mut iv);
    let mut spoiled = p.clone();
    for (d, i) in spoiled.iter_mut().zip(iv) {
        *d ^= i;
    }
    lmk_post_read(None, 77, &mut spoiled, 16);
    assert_eq!(spoiled, p);
}

#[test]
fn crc32_matches_the_kernel() {
    // crc32_le(0, ...) of the kernel: zlib's CRC-32 without its inversions.
    assert_eq!(crc32_le(0, b"123456789"), 0x2dfd_2d88);
    assert_eq!(crc32_le(0, &[1, 2, 3, 4]), 0x9778_24d1);
    assert_eq!(crc32_le(0, &[0; 4]), 0);
}

#[test]
fn tcw_iv_is_seed_xor_sector() {
    let seed: Vec<u8> = (0..16).collect();
    let mut iv = [0u8; 16];
    tcw_iv(&seed, 0x0102_0304_0506_0708, &mut iv);
    let s = 0x0102_0304_0506_0708u64.to_le_bytes();
    for i in 0..16 {
        assert_eq!(iv[i], seed[i] ^ s[i % 8]);
    }
}

#[test]
fn tcw_whitening_is_an_involution_of_8_byte_period() {
    let w: [u8; 16] = core::array::from_fn(|i| i as u8 * 17);
    let p = sector(9);
    let mut c = p.clone();
    tcw_whiten(&w, 12345, &mut c);
    assert_ne!(c, p);
    // The same 8 bytes are XORed into every 8-byte word.
    let x: Vec<u8> = c.iter().zip(&p).map(|(a, b)| a ^ b).collect();
    for chunk in x.chunks(8) {
        assert_eq!(chunk, &x[..8]);
    }
    // Its value: CRC32 of each 4-byte part of whitening ^ sector, folded.
    let s = 12345u64.to_le_bytes();
    let buf: Vec<u8> = (0..16).map(|i| w[i] ^ s[i % 8]).collect();
    let crc: Vec<u8> = buf
        .chunks(4)
        .flat_map(|p| crc32_le(0, p).to_le_bytes())
        .collect();
    let folded: Vec<u8> = (0..4)
        .map(|i| crc[i] ^ crc[12 + i])
        .chain((0..4).map(|i| crc[4 + i] ^ crc[8 + i]))
        .collect();
    assert_eq!(&x[..8], &folded[..]);
    tcw_whiten(&w, 12345, &mut c);
    assert_eq!(c, p);
}

#[test]
fn elephant_round_trips_and_diffuses() {
    for size in [512usize, 1024, 4096] {
        let p: Vec<u8> = (0..size).map(|i| (i * 31 % 251) as u8).collect();
        let ks: [u8; 32] = core::array::from_fn(|i| 0xa5 ^ i as u8);
        let mut c = p.clone();
        elephant::encrypt(&mut c, &ks);
        assert_ne!(c, p);
        // One flipped bit spreads over the sector.
        let mut q = p.clone();
        q[size / 2] ^= 1;
        elephant::encrypt(&mut q, &ks);
        let differing = q.iter().zip(&c).filter(|(a, b)| a != b).count();
        assert!(differing > size / 4, "{differing} of {size} bytes differ");
        elephant::decrypt(&mut c, &ks);
        assert_eq!(c, p);
    }
}

#[test]
fn elephant_sector_key_blocks() {
    let mut calls = Vec::new();
    let ks = elephant::sector_key(0x1122_3344_5566_7788, |b| {
        calls.push(*b);
        for x in b.iter_mut() {
            *x = !*x;
        }
    });
    let mut e = [0u8; 16];
    e[..8].copy_from_slice(&0x1122_3344_5566_7788u64.to_le_bytes());
    let mut e2 = e;
    e2[15] = 0x80;
    assert_eq!(calls, vec![e, e2]);
    assert_eq!(ks[..16], e.map(|x| !x));
    assert_eq!(ks[16..], e2.map(|x| !x));
}

#[test]
fn authenc_key_format() {
    use crate::authenc::*;
    // An AES-128 key (16 bytes of 0x11) and an HMAC-SHA256 key (32 bytes of 0x22).
    let mut key = vec![0x11u8; 16];
    key.extend([0x22u8; 32]);
    let mut out = vec![0u8; authenc_key_size(key.len())];
    authenc_key(&key, 32, &mut out).unwrap();
    // struct rtattr (length 8, type CRYPTO_AUTHENC_KEYA_PARAM) in host order, then the
    // encryption key length big endian, the MAC key, the encryption key.
    assert_eq!(
        out[..4],
        [8u16.to_ne_bytes(), 1u16.to_ne_bytes()].concat()[..]
    );
    assert_eq!(out[4..8], [0, 0, 0, 16]);
    assert_eq!(out[8..40], [0x22; 32]);
    assert_eq!(out[40..], [0x11; 16]);
    // A key shorter than the MAC key is refused, as upstream's -EINVAL.
    let mut small = vec![0u8; authenc_key_size(16)];
    assert!(authenc_key(&[0; 16], 32, &mut small).is_none());
}
