// SPDX-License-Identifier: GPL-2.0

//! The driver's constructor as far as its pure stages go: the glue of `CryptConfig::ctr`
//! (`src/crypt/config.rs`), `ctr_cipher` and `Keying::set` (`src/crypt/cipher.rs`) and
//! `CryptKey::set` (`src/crypt/key.rs`) in their order, around the real functions of
//! `src/crypt/table.rs`, `scan.rs`, `iv.rs` and `authenc.rs`. Every stage's result is checked
//! against the invariants the rest of the driver relies on; a violation panics.

use crate::{
    authenc::{
        authenc_key,
        authenc_key_size, //
    },
    env::{
        self,
        Alg,
        Blob,
        Ctr,
        Errno,
        Fail,
        Outcome, //
    },
    iv::{
        self,
        IvChoice,
        IvError,
        IvMode, //
    },
    scan::hex2bin,
    table::{
        self,
        Bytes,
        CipherSpec,
        ErrorKind,
        FeatureArgs,
        IntegrityProfile,
        KeyArg,
        TableError,
        CRYPTO_MAX_ALG_NAME,
        MAX_TAG_SIZE, //
    },
};
use core::fmt::Write;

fn errno(kind: ErrorKind) -> Errno {
    match kind {
        ErrorKind::Inval => Errno::Inval,
        ErrorKind::NoMem => Errno::NoMem,
        ErrorKind::NoEnt => Errno::NoEnt,
    }
}

fn kind(e: Errno) -> ErrorKind {
    match e {
        Errno::NoMem => ErrorKind::NoMem,
        Errno::NoEnt => ErrorKind::NoEnt,
        Errno::Inval | Errno::Key => ErrorKind::Inval,
    }
}

fn fail(e: TableError) -> Outcome {
    let msg = e.msg.to_str().expect("table error messages are ASCII");
    assert!(!msg.is_empty(), "empty table error message");
    Outcome::Err(Fail::new(msg, errno(e.kind)))
}

/// Whether `part` lies inside `whole` (the parser returns subslices, never copies).
fn within(part: &[u8], whole: &[u8]) -> bool {
    let (p, w) = (part.as_ptr() as usize, whole.as_ptr() as usize);
    p >= w && p + part.len() <= w + whole.len()
}

/// Checks `key_size()`'s result.
pub fn check_key_size(arg: &[u8], size: usize, form: KeyArg<'_>) {
    match form {
        KeyArg::Hex(hex) => {
            assert_eq!(hex, arg, "key_size: the hex form is the whole argument");
            assert_eq!(size, arg.len() / 2, "key_size: hex key size");
            assert!(arg.first() != Some(&b':'), "key_size: ':' key taken as hex");
        }
        KeyArg::Keyring(desc) => {
            assert!(
                size <= i32::MAX as usize,
                "key_size: keyring size over INT_MAX"
            );
            assert!(arg.starts_with(b":"), "key_size: keyring key without ':'");
            assert!(
                within(desc, arg) && arg.ends_with(desc) && desc.len() < arg.len() - 1,
                "key_size: keyring spec is not the argument's tail"
            );
            // ":<digits>:" precedes the spec.
            let head = &arg[..arg.len() - desc.len()];
            assert!(
                head.ends_with(b":"),
                "key_size: no ':' before the keyring spec"
            );
            assert!(
                head[1..head.len() - 1].iter().any(u8::is_ascii_digit),
                "key_size: keyring size without digits"
            );
        }
    }
}

/// The feature part of the status line, as `CryptConfig::status_table` writes it.
pub fn status_features(f: &FeatureArgs) -> (usize, String) {
    let flags = [
        (f.allow_discards, "allow_discards"),
        (f.same_cpu_crypt, "same_cpu_crypt"),
        (f.high_priority, "high_priority"),
        (f.submit_from_crypt_cpus, "submit_from_crypt_cpus"),
        (f.no_read_workqueue, "no_read_workqueue"),
        (f.no_write_workqueue, "no_write_workqueue"),
    ];
    let count = flags.iter().filter(|(on, _)| *on).count()
        + usize::from(f.integrity.is_some())
        + usize::from(f.sector_size != 512)
        + usize::from(f.iv_large_sectors)
        + usize::from(f.integrity_key_size.is_some());
    let mut w = String::new();
    if count > 0 {
        write!(w, "{count}").unwrap();
        for (_, name) in flags.iter().filter(|(on, _)| *on) {
            write!(w, " {name}").unwrap();
        }
        if let Some(i) = &f.integrity {
            write!(w, " integrity:{}:{}", i.tag_size, Bytes(&i.type_as_given)).unwrap();
        }
        if f.sector_size != 512 {
            write!(w, " sector_size:{}", f.sector_size).unwrap();
        }
        if f.iv_large_sectors {
            w.push_str(" iv_large_sectors");
        }
        if let Some(n) = f.integrity_key_size {
            write!(w, " integrity_key_size:{n}").unwrap();
        }
    }
    (count, w)
}

/// Checks `parse_features()`'s result.
pub fn check_features(args: &[&[u8]], target_len: u64, f: &FeatureArgs) {
    let ss = f.sector_size;
    assert!(
        ss.is_power_of_two() && (512..=4096).contains(&ss),
        "features: sector_size {ss}"
    );
    assert_eq!(
        target_len % u64::from(ss / 512),
        0,
        "features: target length not a multiple of sector_size {ss}"
    );
    assert_eq!(1u32 << (f.sector_shift() + 9), ss, "features: sector_shift");
    assert!(f.sector_shift() <= 3);
    if let Some(i) = &f.integrity {
        assert!(
            (1..=MAX_TAG_SIZE).contains(&i.tag_size),
            "features: tag size {}",
            i.tag_size
        );
        // `none` after an earlier `integrity:<n>:aead` keeps the AEAD profile, as upstream's
        // `CRYPT_MODE_INTEGRITY_AEAD` bit, while the type is echoed as written.
        let matches = |want: &[u8]| i.type_as_given.eq_ignore_ascii_case(want);
        assert!(
            match i.profile {
                IntegrityProfile::Aead => matches(b"aead") || matches(b"none"),
                IntegrityProfile::None => matches(b"none"),
            },
            "features: integrity type {:?} for {:?}",
            Bytes(&i.type_as_given),
            i.profile
        );
    }
    assert_eq!(
        f.integrity_aead(),
        matches!(f.integrity.map(|i| i.profile), Some(IntegrityProfile::Aead))
    );
    assert!(
        f.integrity_key_size != Some(0),
        "features: integrity_key_size 0"
    );
    if args.is_empty() {
        assert_eq!(
            *f,
            FeatureArgs::default(),
            "features: defaults without arguments"
        );
    }

    // The status line's feature group parses back to the same features, but for a sticky
    // AEAD profile: upstream's status line echoes the last type, `integrity:<n>:none`, which
    // loads without AEAD (dm-crypt.c, crypt_status()).
    let mut f = *f;
    if let Some(i) = &mut f.integrity {
        if !i.type_as_given.eq_ignore_ascii_case(b"aead") {
            i.profile = IntegrityProfile::None;
        }
    }
    let f = &f;
    let (count, line) = status_features(f);
    assert!(
        count <= 9,
        "features: status line with {count} feature args"
    );
    let back: Vec<&[u8]> = if count == 0 {
        Vec::new()
    } else {
        line.split(' ').map(str::as_bytes).collect()
    };
    match table::parse_features(&back, target_len) {
        Ok(g) => assert_eq!(g, *f, "features: status line {line:?} parses differently"),
        Err(e) => panic!("features: status line {line:?} refused: {:?}", e.msg),
    }
}

/// Checks `parse_cipher()`'s result.
pub fn check_cipher(arg: &[u8], aead: bool, spec: &CipherSpec<'_>) {
    let api = spec.api.as_bytes();
    assert!(
        !api.is_empty() || spec.capi,
        "cipher: empty legacy name for {:?}",
        Bytes(arg)
    );
    assert!(api.len() < CRYPTO_MAX_ALG_NAME, "cipher: name too long");
    assert!(!api.contains(&0), "cipher: NUL in the name");
    assert_eq!(
        spec.api.as_c_str().to_bytes(),
        api,
        "cipher: C string differs from the name"
    );
    let _ = format!("{spec:?} {}", Bytes(arg));
    assert!(
        spec.tfms_count.is_power_of_two(),
        "cipher: tfms_count {}",
        spec.tfms_count
    );
    assert_eq!(spec.capi, arg.starts_with(b"capi:"));
    for part in [spec.ivmode, spec.ivopts].into_iter().flatten() {
        assert!(
            within(part, arg) || part == b"plain",
            "cipher: IV mode or options not from the argument"
        );
    }
    if spec.ivmode == Some(b"essiv") {
        assert!(spec.ivopts.is_some(), "cipher: essiv without a digest");
        assert!(api.starts_with(b"essiv(") && api.ends_with(b")"));
    }
    if aead {
        assert!(spec.capi, "cipher: AEAD from a legacy spec");
        assert!(spec.ivmode != Some(b"lmk"), "cipher: AEAD with lmk");
    }
    if spec.capi {
        let want = if spec.ivmode == Some(b"lmk") { 64 } else { 1 };
        assert_eq!(spec.tfms_count, want, "cipher: capi tfms_count");
    } else {
        assert!(!arg.contains(&b'('), "cipher: legacy spec with '('");
        assert!(
            api.ends_with(b")") && api.contains(&b'('),
            "cipher: legacy name {:?}",
            Bytes(api)
        );
        assert!(
            spec.ivmode.is_some() || api.starts_with(b"ecb("),
            "cipher: legacy chaining mode without IV mode"
        );
    }
}

fn mode_name(mode: IvMode) -> &'static str {
    match mode {
        IvMode::Plain => "plain",
        IvMode::Plain64 => "plain64",
        IvMode::Plain64Be => "plain64be",
        IvMode::Essiv => "essiv",
        IvMode::Benbi { .. } => "benbi",
        IvMode::Null => "null",
        IvMode::Lmk => "lmk",
        IvMode::Tcw => "tcw",
        IvMode::Random => "random",
        IvMode::Eboiv => "eboiv",
        IvMode::Elephant => "elephant",
    }
}

/// Checks `iv::select()`'s result, and generates IVs with it.
pub fn check_iv(
    ivmode: Option<&[u8]>,
    cipher_iv: u32,
    block_size: u32,
    key_size: u32,
    tfms: u32,
    iv: &IvChoice,
    sector: u64,
) {
    if cipher_iv == 0 {
        assert_eq!(iv.iv_size, 0, "iv: IV size without an IV");
        assert_eq!(iv.mode, None);
        assert_eq!(iv.ignored_ivmode, ivmode.is_some());
    } else {
        assert_eq!(iv.iv_size, cipher_iv.max(8), "iv: IV size");
        assert_eq!(iv.mode.map(mode_name).map(str::as_bytes), ivmode);
    }
    let l = iv.layout;
    match iv.mode {
        Some(IvMode::Elephant) => {
            assert_eq!((l.key_parts, l.key_extra_size), (2, key_size / 2));
            assert!(l.key_extra_size <= 32);
        }
        Some(IvMode::Lmk) => {
            assert!(l.key_parts == tfms || l.key_parts == tfms + 1);
            assert!(l.key_extra_size <= key_size);
        }
        Some(IvMode::Tcw) => {
            assert_eq!(l.key_parts, tfms + 2);
            assert_eq!(l.key_extra_size, iv.iv_size + 16);
        }
        _ => assert_eq!((l.key_parts, l.key_extra_size), (tfms, 0), "iv: layout"),
    }
    let random = iv.mode == Some(IvMode::Random);
    assert_eq!(iv.integrity_iv_size, if random { iv.iv_size } else { 0 });

    let sub = iv::subkey_size(key_size, l, tfms);
    if l.key_extra_size <= key_size {
        assert!(
            u64::from(sub) * u64::from(tfms) <= u64::from(key_size - l.key_extra_size),
            "iv: subkeys overrun the key"
        );
    }

    // Every IV generation this choice can lead to.
    if let Some(mode) = iv.mode {
        let mut buf = vec![0u8; iv.iv_size as usize];
        let mode = match mode {
            IvMode::Benbi { .. } => match iv::benbi_shift(block_size) {
                Some(shift) => {
                    assert!(shift <= 9, "iv: benbi shift {shift}");
                    IvMode::Benbi { shift }
                }
                None => return,
            },
            m => m,
        };
        for s in [sector, sector.wrapping_add(1), u64::MAX, 0] {
            iv::generate(mode, s, &mut buf);
        }
    }
}

/// The driver's constructor on `args`, up to the start sector, without the IV generator's
/// constructor (kernel code).
pub fn construct(args: &[Vec<u8>], target_len: u64) -> Outcome {
    match construct_inner(args, target_len) {
        Ok(ctr) => Outcome::Ok(Box::new(ctr)),
        Err(o) => o,
    }
}

fn construct_inner(args: &[Vec<u8>], target_len: u64) -> Result<Ctr, Outcome> {
    let mut c = Ctr::default();
    if args.len() < 5 {
        return Err(Outcome::Err(Fail::inval("Not enough arguments")));
    }
    let (key_size, form) = table::key_size(&args[1]).map_err(fail)?;
    check_key_size(&args[1], key_size, form);
    c.key_size = key_size as u32;
    // `CryptKey::new`.
    if !env::key_alloc(key_size) {
        return Err(Outcome::Err(Fail::new(
            "Cannot allocate encryption context",
            Errno::NoMem,
        )));
    }

    let mut features = FeatureArgs::default();
    if args.len() > 5 {
        let opt: Vec<&[u8]> = args[5..].iter().map(Vec::as_slice).collect();
        features = table::parse_features(&opt, target_len).map_err(fail)?;
        check_features(&opt, target_len, &features);
    }
    c.allow_discards = features.allow_discards;
    c.same_cpu_crypt = features.same_cpu_crypt;
    c.high_priority = features.high_priority;
    c.submit_from_crypt_cpus = features.submit_from_crypt_cpus;
    c.no_read_workqueue = features.no_read_workqueue;
    c.no_write_workqueue = features.no_write_workqueue;
    c.iv_large_sectors = features.iv_large_sectors;
    c.tag_size = features.integrity.map_or(0, |i| i.tag_size);
    c.cipher_auth = features.integrity.map(|i| Blob::from(&i.type_as_given[..]));
    c.aead = features.integrity_aead();
    c.integrity_key_size = features.integrity_key_size;
    c.sector_size = features.sector_size;

    // `ctr_cipher`.
    let aead = features.integrity_aead();
    let mut digest = None;
    let mut calls = 0;
    let mut check_mac = |mac: Option<&[u8]>| {
        calls += 1;
        if let Some(m) = mac {
            assert!(
                within(m, &args[0]),
                "cipher: MAC name not from the argument"
            );
        }
        digest = Some(env::mac(mac).map_err(kind)?);
        Ok(())
    };
    let spec = table::parse_cipher(&args[0], aead, &mut check_mac).map_err(fail)?;
    assert!(calls <= 1, "cipher: MAC checked {calls} times");
    check_cipher(&args[0], aead, &spec);
    let key_mac_size = features.integrity_key_size.or(digest).unwrap_or(0);
    c.api = Blob::from(spec.api.as_bytes());
    c.ivmode = spec.ivmode.map(Blob::from);
    c.ivopts = spec.ivopts.map(Blob::from);
    c.tfms_count = spec.tfms_count;
    c.key_mac_size = key_mac_size;

    let count = if aead { 1 } else { spec.tfms_count };
    let alg = env::alloc_tfms(spec.api.as_c_str().to_bytes(), count, aead)
        .map_err(|e| Outcome::Err(Fail::new("Error allocating crypto tfm", e)))?;

    let choice =
        iv::select(spec.ivmode, alg.iv_size, key_size as u32, spec.tfms_count).map_err(|e| {
            Outcome::Err(Fail::inval(match e {
                IvError::Invalid => "Invalid IV mode",
                IvError::Unnamed => "Unknown error",
            }))
        })?;
    c.iv_gen = choice.mode.map(mode_name);
    c.iv_size = choice.iv_size;
    c.key_parts = choice.layout.key_parts;
    c.key_extra_size = choice.layout.key_extra_size;
    c.integrity_iv_size = choice.integrity_iv_size;
    check_iv(
        spec.ivmode,
        alg.iv_size,
        alg.block_size,
        key_size as u32,
        spec.tfms_count,
        &choice,
        table::parse_start(&args[4]).unwrap_or(0),
    );

    // `keying` and `CryptKey::set`.
    let subkey_size = iv::subkey_size(key_size as u32, choice.layout, count);
    c.subkey_size = subkey_size;
    let authenc_mac = (aead && key_mac_size > 0).then_some(key_mac_size as usize);
    let set = |e: Errno| Outcome::Err(Fail::new("Error decoding and setting key", e));
    if key_size == 0 && args[1] != b"-" {
        return Err(set(Errno::Inval));
    }
    let (_, form) = table::key_size(&args[1]).map_err(|_| set(Errno::Inval))?;
    match form {
        // The model has no keyring keys.
        KeyArg::Keyring(_) => return Err(set(Errno::Key)),
        KeyArg::Hex(hex) => {
            let mut key = vec![0u8; key_size];
            if key_size > 0 && !hex2bin(&mut key, hex) {
                return Err(set(Errno::Inval));
            }
            c.tfm_keys =
                keying_set(&alg, &key, subkey_size as usize, count, authenc_mac).map_err(set)?;
        }
    }

    let iv_offset = table::parse_iv_offset(&args[2], features.sector_size).map_err(fail)?;
    assert_eq!(
        iv_offset % u64::from(features.sector_size / 512),
        0,
        "iv_offset not a multiple of the sector size"
    );
    c.iv_offset = iv_offset;
    c.start = table::parse_start(&args[4]).map_err(fail)?;
    Ok(c)
}

/// `Keying::set`: the keys given to the transforms.
fn keying_set(
    alg: &Alg,
    key: &[u8],
    subkey_size: usize,
    count: u32,
    authenc_mac: Option<usize>,
) -> Result<Vec<Blob>, Errno> {
    let subkey = |i: usize| {
        key.get(i * subkey_size..(i + 1) * subkey_size)
            .ok_or(Errno::Inval)
    };
    let mut keys = Vec::new();
    if !alg.aead {
        let mut result = Ok(());
        for i in 0..count as usize {
            let part = subkey(i)?;
            if let Err(e) = env::setkey(alg, part) {
                result = Err(e);
            }
            keys.push(Blob::from(part));
        }
        return result.map(|()| keys);
    }
    let part = subkey(0)?;
    match authenc_mac {
        None => {
            env::setkey(alg, part)?;
            keys.push(Blob::from(part));
        }
        Some(mac) => {
            let mut buf = vec![0u8; authenc_key_size(part.len())];
            authenc_key(part, mac, &mut buf).ok_or(Errno::Inval)?;
            env::setkey(alg, &buf)?;
            keys.push(Blob(buf));
        }
    }
    Ok(keys)
}
