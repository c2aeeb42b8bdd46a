// SPDX-License-Identifier: GPL-2.0

//! What both sides of the comparison share: the constructor's result, and a small model of the
//! kernel services the constructor calls (the crypto API, the allocator, the keyring).
//!
//! The model only has to be the same for the driver ([`crate::driver`]) and the C target
//! ([`crate::upstream`]); it is shaped after the real algorithms so that the interesting cases
//! (IV sizes 0, 8, 12, 16 and 32, AEADs, `authenc` keys, key sizes a cipher refuses) occur.

/// The errno of a failure.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Errno {
    /// `-EINVAL`.
    Inval,
    /// `-ENOMEM`.
    NoMem,
    /// `-ENOENT`.
    NoEnt,
    /// Reading a keyring key. The model has no keys, so every keyring key fails here; the
    /// errno the C target gives then depends on the key's checks, which are kernel code in
    /// `src/crypt/key.rs`, not pure logic.
    Key,
}

/// A constructor failure: `ti->error` and the errno.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Fail {
    pub msg: String,
    pub errno: Errno,
}

impl Fail {
    pub fn new(msg: &str, errno: Errno) -> Self {
        Self {
            msg: msg.to_owned(),
            errno,
        }
    }

    pub fn inval(msg: &str) -> Self {
        Self::new(msg, Errno::Inval)
    }
}

/// Bytes, shown as an escaped string.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Blob(pub Vec<u8>);

impl From<&[u8]> for Blob {
    fn from(b: &[u8]) -> Self {
        Self(b.to_vec())
    }
}

impl core::fmt::Debug for Blob {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "\"{}\"", self.0.escape_ascii())
    }
}

/// What the pure stages of a successful constructor decided.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct Ctr {
    pub key_size: u32,
    pub allow_discards: bool,
    pub same_cpu_crypt: bool,
    pub high_priority: bool,
    pub submit_from_crypt_cpus: bool,
    pub no_read_workqueue: bool,
    pub no_write_workqueue: bool,
    pub iv_large_sectors: bool,
    /// `used_tag_size` (0: no `integrity:` option).
    pub tag_size: u32,
    /// `cipher_auth`: the integrity type as written.
    pub cipher_auth: Option<Blob>,
    /// `CRYPT_MODE_INTEGRITY_AEAD`.
    pub aead: bool,
    /// `integrity_key_size:` (`CRYPT_KEY_MAC_SIZE_SET`).
    pub integrity_key_size: Option<u32>,
    pub sector_size: u32,
    /// The crypto API name allocated.
    pub api: Blob,
    /// The IV mode and options of the cipher argument.
    pub ivmode: Option<Blob>,
    pub ivopts: Option<Blob>,
    pub tfms_count: u32,
    /// `key_mac_size`.
    pub key_mac_size: u32,
    /// The IV mode in use (`None`: no IV generator).
    pub iv_gen: Option<&'static str>,
    pub iv_size: u32,
    pub key_parts: u32,
    pub key_extra_size: u32,
    pub integrity_iv_size: u32,
    /// `crypt_subkey_size()`.
    pub subkey_size: u32,
    /// The keys given to the transforms, in order.
    pub tfm_keys: Vec<Blob>,
    pub iv_offset: u64,
    pub start: u64,
}

/// How a constructor ended.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Outcome {
    Ok(Box<Ctr>),
    Err(Fail),
    /// The C target would crash (or corrupt memory) on this table: the reason.
    Crash(&'static str),
}

/// `KMALLOC_MAX_SIZE` on x86-64 (4 MiB): the largest `kmalloc`.
pub const KMALLOC_MAX: usize = 1 << 22;

/// Whether the key buffer of `size` bytes can be allocated.
pub fn key_alloc(size: usize) -> bool {
    size <= KMALLOC_MAX
}

/// An algorithm of the model.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Alg {
    pub iv_size: u32,
    pub block_size: u32,
    pub aead: bool,
    /// The key sizes `setkey` accepts; for `authenc(...)`, those of the inner cipher.
    pub keys: Vec<usize>,
    /// An `authenc(<mac>,<cipher>)`: its key is an `rtattr` blob.
    pub authenc: bool,
}

/// A block cipher: block size and key sizes.
fn block_cipher(name: &[u8]) -> Option<(u32, Vec<usize>)> {
    Some(match name {
        b"aes" | b"aes-generic" | b"aes-aesni" | b"serpent" | b"twofish" | b"camellia" => {
            (16, vec![16, 24, 32])
        }
        b"des" => (8, vec![8]),
        b"des3_ede" => (8, vec![24]),
        b"blowfish" | b"cast5" => (8, vec![16]),
        b"cipher_null" => (1, vec![0]),
        _ => return None,
    })
}

/// A hash: its digest size.
fn hash(name: &[u8]) -> Option<u32> {
    Some(match name {
        b"md5" => 16,
        b"sha1" => 20,
        b"sha256" => 32,
        b"sha512" => 64,
        _ => return None,
    })
}

/// `head(arg,arg...)` split at its top-level commas.
fn template(name: &[u8]) -> Option<(&[u8], Vec<&[u8]>)> {
    let open = name.iter().position(|&c| c == b'(')?;
    let inner = name[open + 1..].strip_suffix(b")")?;
    let mut args = Vec::new();
    let (mut depth, mut from) = (0i32, 0);
    for (i, &c) in inner.iter().enumerate() {
        match c {
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth < 0 {
                    return None;
                }
            }
            b',' if depth == 0 => {
                args.push(&inner[from..i]);
                from = i + 1;
            }
            _ => {}
        }
    }
    if depth != 0 {
        return None;
    }
    args.push(&inner[from..]);
    Some((&name[..open], args))
}

fn alg(iv_size: u32, block_size: u32, keys: Vec<usize>) -> Alg {
    Alg {
        iv_size,
        block_size,
        aead: false,
        keys,
        authenc: false,
    }
}

/// A symmetric cipher (`crypto_alloc_skcipher`).
fn skcipher(name: &[u8]) -> Option<Alg> {
    match name {
        b"xts-aes-aesni" => return skcipher(b"xts(aes)"),
        b"cbc-aes-aesni" => return skcipher(b"cbc(aes)"),
        b"ecb-aes-aesni" => return skcipher(b"ecb(aes)"),
        b"ctr-aes-aesni" => return skcipher(b"ctr(aes)"),
        _ => {}
    }
    let (head, args) = template(name)?;
    match (head, &args[..]) {
        (b"ecb", [c]) => block_cipher(c).map(|(bs, keys)| alg(0, bs, keys)),
        (b"cbc" | b"pcbc", [c]) => block_cipher(c).map(|(bs, keys)| alg(bs, bs, keys)),
        (b"ctr", [c]) => block_cipher(c).map(|(bs, keys)| alg(bs, 1, keys)),
        (b"xts", [c]) => match block_cipher(c)? {
            (16, keys) => Some(alg(16, 16, keys.iter().map(|k| 2 * k).collect())),
            _ => None,
        },
        (b"lrw", [c]) => match block_cipher(c)? {
            (16, keys) => Some(alg(16, 16, keys.iter().map(|k| k + 16).collect())),
            _ => None,
        },
        (b"essiv", [s, h]) => {
            hash(h)?;
            let inner = skcipher(s)?;
            (inner.iv_size > 0).then_some(inner)
        }
        (b"adiantum", [b"xchacha12" | b"xchacha20", b"aes"]) => Some(alg(32, 16, vec![32])),
        (b"cryptd", [s]) => skcipher(s),
        _ => None,
    }
}

/// An AEAD (`crypto_alloc_aead`).
fn aead(name: &[u8]) -> Option<Alg> {
    let mk = |iv_size, keys| Alg {
        iv_size,
        block_size: 1,
        aead: true,
        keys,
        authenc: false,
    };
    let (head, args) = template(name)?;
    match (head, &args[..]) {
        (b"gcm", [b"aes"]) => Some(mk(12, vec![16, 24, 32])),
        (b"ccm", [b"aes"]) => Some(mk(16, vec![16, 24, 32])),
        (b"rfc4106", [b"gcm(aes)"]) => Some(mk(8, vec![20, 28, 36])),
        (b"rfc7539", [b"chacha20", b"poly1305"]) => Some(mk(12, vec![32])),
        (b"authenc", [m, s]) => {
            mac(Some(m)).ok()?;
            let inner = skcipher(s)?;
            Some(Alg {
                aead: true,
                authenc: true,
                ..inner
            })
        }
        (b"cryptd", [s]) => aead(s),
        _ => None,
    }
}

/// `crypt_alloc_tfms()`: `count` transforms of `name` (one AEAD when `aead`).
pub fn alloc_tfms(name: &[u8], count: u32, aead_mode: bool) -> Result<Alg, Errno> {
    // The array of transform pointers is one kmalloc.
    if count as usize * 8 > KMALLOC_MAX {
        return Err(Errno::NoMem);
    }
    // `CRYPTO_MAX_ALG_NAME`: the crypto API finds no longer name.
    if name.len() >= 128 || name.contains(&0) {
        return Err(Errno::NoEnt);
    }
    if aead_mode {
        aead(name)
    } else {
        skcipher(name)
    }
    .ok_or(Errno::NoEnt)
}

/// The digest size of the MAC `<mac>` of `authenc(<mac>,...)` (`crypto_alloc_ahash`); `None`
/// is a malformed spec.
pub fn mac(name: Option<&[u8]>) -> Result<u32, Errno> {
    let name = name.ok_or(Errno::Inval)?;
    if let Some(d) = hash(name) {
        return Ok(d);
    }
    match template(name) {
        Some((b"hmac", args)) if args.len() == 1 => hash(args[0]).ok_or(Errno::NoEnt),
        Some((b"cmac" | b"xcbc", args)) if args == [&b"aes"[..]] => Ok(16),
        _ => Err(Errno::NoEnt),
    }
}

/// `crypto_{skcipher,aead}_setkey()`.
pub fn setkey(alg: &Alg, key: &[u8]) -> Result<(), Errno> {
    if !alg.authenc {
        return if alg.keys.contains(&key.len()) {
            Ok(())
        } else {
            Err(Errno::Inval)
        };
    }
    // `crypto_authenc_extractkeys()`: an `rtattr` of 8 bytes, type 1, carrying the
    // big-endian length of the encryption key, which ends the blob.
    if key.len() < 8 {
        return Err(Errno::Inval);
    }
    let rta_len = u16::from_ne_bytes([key[0], key[1]]);
    let rta_type = u16::from_ne_bytes([key[2], key[3]]);
    let enc = u32::from_be_bytes([key[4], key[5], key[6], key[7]]) as usize;
    if rta_len != 8 || rta_type != 1 || enc > key.len() - 8 {
        return Err(Errno::Inval);
    }
    if alg.keys.contains(&enc) {
        Ok(())
    } else {
        Err(Errno::Inval)
    }
}
