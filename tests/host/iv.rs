// SPDX-License-Identifier: GPL-2.0

//! Tests of IV mode selection and generation (`src/crypt/iv.rs`).

use crate::iv::*;

fn iv(mode: IvMode, sector: u64, size: usize) -> Vec<u8> {
    let mut buf = vec![0xaa; size];
    generate(mode, sector, &mut buf);
    buf
}

#[test]
fn generators() {
    let s = 0x0102_0304_0506_0708;
    assert_eq!(iv(IvMode::Plain, s, 16)[..8], [8, 7, 6, 5, 0, 0, 0, 0]);
    assert_eq!(iv(IvMode::Plain64, s, 16)[..9], [8, 7, 6, 5, 4, 3, 2, 1, 0]);
    assert_eq!(iv(IvMode::Essiv, s, 16), iv(IvMode::Plain64, s, 16));
    assert_eq!(iv(IvMode::Plain64Be, s, 16)[8..], [1, 2, 3, 4, 5, 6, 7, 8]);
    assert_eq!(iv(IvMode::Plain64Be, s, 16)[..8], [0; 8]);
    assert_eq!(iv(IvMode::Null, s, 16), vec![0; 16]);
    // benbi with 16-byte blocks: shift 5, counting from 1.
    assert_eq!(
        iv(IvMode::Benbi { shift: 5 }, 2, 16)[8..],
        65u64.to_be_bytes()
    );
}

#[test]
fn selection() {
    let c = select(Some(b"plain64"), 16, 64, 1).unwrap();
    assert_eq!((c.mode, c.iv_size), (Some(IvMode::Plain64), 16));
    assert_eq!(
        c.layout,
        KeyLayout {
            key_parts: 1,
            key_extra_size: 0
        }
    );
    // IVs are at least 64 bits.
    assert_eq!(select(Some(b"plain"), 4, 16, 1).unwrap().iv_size, 8);
    // A cipher without IV ignores the IV mode.
    let c = select(Some(b"plain64"), 0, 16, 1).unwrap();
    assert!(c.ignored_ivmode && c.mode.is_none() && c.iv_size == 0);
    assert_eq!(select(Some(b"bogus"), 16, 32, 1), Err(IvError::Invalid));
    assert_eq!(select(Some(b""), 16, 32, 1), Err(IvError::Invalid));
    assert_eq!(select(None, 16, 32, 1).unwrap().mode, None);
}

#[test]
fn key_layouts() {
    // lmk v3: 64 keys plus a seed part.
    let c = select(Some(b"lmk"), 16, 65 * 32, 64).unwrap();
    assert_eq!(
        c.layout,
        KeyLayout {
            key_parts: 65,
            key_extra_size: 32
        }
    );
    assert_eq!(subkey_size(65 * 32, c.layout, 64), 32);
    let c = select(Some(b"tcw"), 16, 64, 1).unwrap();
    assert_eq!(
        c.layout,
        KeyLayout {
            key_parts: 3,
            key_extra_size: 32
        }
    );
    assert_eq!(select(Some(b"elephant"), 16, 130, 1), Err(IvError::Unnamed));
    assert_eq!(
        subkey_size(
            64,
            KeyLayout {
                key_parts: 4,
                key_extra_size: 0
            },
            4
        ),
        16
    );
}

#[test]
fn benbi() {
    assert_eq!(benbi_shift(16), Some(5));
    assert_eq!(benbi_shift(512), Some(0));
    assert_eq!(benbi_shift(1024), None);
    assert_eq!(benbi_shift(24), None);
}
