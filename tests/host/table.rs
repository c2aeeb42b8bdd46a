// SPDX-License-Identifier: GPL-2.0

//! Tests of the table parsing stages (`src/crypt/table.rs`) against dm-crypt 7.3's rules.

use crate::table::*;

fn no_mac(_: Option<&[u8]>) -> Result<(), ErrorKind> {
    panic!("no AEAD MAC expected")
}

fn cipher(s: &str) -> Result<CipherSpec<'_>, TableError> {
    parse_cipher(s.as_bytes(), false, &mut no_mac)
}

fn msg(e: TableError) -> &'static str {
    e.msg.to_str().unwrap()
}

fn api(s: &str) -> String {
    String::from_utf8(cipher(s).unwrap().api.as_bytes().to_vec()).unwrap()
}

#[test]
fn legacy_cipher_names() {
    assert_eq!(api("aes-xts-plain64"), "xts(aes)");
    assert_eq!(api("aes-cbc-essiv:sha256"), "essiv(cbc(aes),sha256)");
    assert_eq!(api("serpent-xts-plain64"), "xts(serpent)");
    assert_eq!(api("cipher_null-ecb"), "ecb(cipher_null)");
    let spec = cipher("aes-xts-plain64").unwrap();
    assert_eq!(spec.ivmode, Some(&b"plain64"[..]));
    assert_eq!(spec.ivopts, None);
    assert_eq!(spec.tfms_count, 1);
    assert!(!spec.capi);
}

#[test]
fn legacy_defaults_to_cbc_plain() {
    for s in ["aes", "aes-plain"] {
        let spec = cipher(s).unwrap();
        assert_eq!(spec.api.as_bytes(), b"cbc(aes)", "{s}");
        assert_eq!(spec.ivmode, Some(&b"plain"[..]), "{s}");
    }
    // ecb needs no IV mode.
    assert_eq!(cipher("aes-ecb").unwrap().ivmode, None);
}

#[test]
fn legacy_key_count() {
    assert_eq!(cipher("aes:4-xts-plain64").unwrap().tfms_count, 4);
    assert_eq!(cipher("aes:64-cbc-lmk").unwrap().tfms_count, 64);
    for bad in [
        "aes:3-xts-plain64",
        "aes:0-xts-plain64",
        "aes:-xts-plain64",
        "aes:x-cbc-plain",
    ] {
        assert_eq!(
            msg(cipher(bad).unwrap_err()),
            "Bad cipher key count specification",
            "{bad}"
        );
    }
    // %u truncates: 2^32 + 1 is 1, a power of two.
    assert_eq!(cipher("aes:4294967297-xts-plain64").unwrap().tfms_count, 1);
}

#[test]
fn legacy_errors() {
    assert_eq!(msg(cipher("aes-cbc").unwrap_err()), "IV mechanism required");
    assert_eq!(
        msg(cipher("xts(aes)-plain64").unwrap_err()),
        "Bad cipher specification"
    );
    assert_eq!(
        msg(cipher("aes-cbc-essiv").unwrap_err()),
        "Digest algorithm missing for ESSIV mode"
    );
    let long = format!("{}-cbc-plain", "a".repeat(130));
    let e = cipher(&long).unwrap_err();
    assert_eq!(
        (msg(e), e.kind),
        ("Cannot allocate cipher strings", ErrorKind::NoMem)
    );
    // With integrity:N:aead only the capi: grammar is accepted.
    let e = parse_cipher(b"aes-xts-plain64", true, &mut no_mac).unwrap_err();
    assert_eq!(msg(e), "Bad cipher specification");
}

#[test]
fn ivopts_keep_later_separators() {
    let spec = cipher("aes-cbc-essiv:sha-256:x").unwrap();
    assert_eq!(spec.ivopts, Some(&b"sha-256:x"[..]));
}

#[test]
fn capi_cipher_names() {
    let spec = cipher("capi:xts(aes)-plain64").unwrap();
    assert_eq!(spec.api.as_bytes(), b"xts(aes)");
    assert_eq!(spec.ivmode, Some(&b"plain64"[..]));
    assert!(spec.capi);
    assert_eq!(api("capi:cbc(aes)-essiv:sha256"), "essiv(cbc(aes),sha256)");
    assert_eq!(cipher("capi:ecb(aes)").unwrap().ivmode, None);
    assert_eq!(cipher("capi:cbc(aes)-lmk").unwrap().tfms_count, 64);
    // The last '-' starts the IV mode: a '-' in the spec becomes one (upstream quirk).
    assert_eq!(
        cipher("capi:xts(aes-generic)").unwrap().ivmode,
        Some(&b"generic)"[..])
    );
    assert_eq!(
        msg(cipher("capi:cbc(aes)-essiv").unwrap_err()),
        "Digest algorithm missing for ESSIV mode"
    );
    let e = cipher(&format!("capi:cbc({})-essiv:sha256", "a".repeat(120))).unwrap_err();
    assert_eq!(
        (msg(e), e.kind),
        ("Cannot allocate cipher string", ErrorKind::NoMem)
    );
}

#[test]
fn capi_aead_mac_is_checked_first() {
    let mut seen = Vec::new();
    let mut mac = |m: Option<&[u8]>| {
        seen.push(m.map(|m| m.to_vec()));
        Ok(())
    };
    parse_cipher(
        b"capi:authenc(hmac(sha256),xts(aes))-random",
        true,
        &mut mac,
    )
    .unwrap();
    assert_eq!(seen, vec![Some(b"hmac(sha256)".to_vec())]);

    let mut fail = |_: Option<&[u8]>| Err(ErrorKind::NoEnt);
    let e = parse_cipher(b"capi:authenc(nope,xts(aes))-lmk", true, &mut fail).unwrap_err();
    assert_eq!(
        (msg(e), e.kind),
        ("Invalid AEAD cipher spec", ErrorKind::NoEnt)
    );
    let e = parse_cipher(b"capi:gcm(aes)-lmk", true, &mut no_mac).unwrap_err();
    assert_eq!(msg(e), "AEAD transforms not supported for LMK");
}

#[test]
fn key_sizes() {
    assert_eq!(
        key_size(b"00112233").unwrap(),
        (4, KeyArg::Hex(&b"00112233"[..]))
    );
    assert_eq!(key_size(b"001").unwrap().0, 1);
    assert_eq!(key_size(b"-").unwrap().0, 0);
    assert_eq!(
        key_size(b":32:logon:cryptsetup:abc").unwrap(),
        (32, KeyArg::Keyring(&b"logon:cryptsetup:abc"[..]))
    );
    for bad in [
        &b":"[..],
        b":32",
        b":x:logon:a",
        b":32;logon",
        b":4294967295:logon:a",
    ] {
        assert_eq!(msg(key_size(bad).unwrap_err()), "Cannot parse key size");
    }
}

fn features(args: &[&str], len: u64) -> Result<FeatureArgs, TableError> {
    let args: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
    parse_features(&args, len)
}

#[test]
fn feature_flags() {
    let f = features(
        &[
            "4",
            "allow_discards",
            "SAME_CPU_CRYPT",
            "iv_large_sectors",
            "sector_size:4096",
        ],
        8,
    )
    .unwrap();
    assert!(f.allow_discards && f.same_cpu_crypt && f.iv_large_sectors);
    assert!(!f.no_read_workqueue && !f.high_priority);
    assert_eq!((f.sector_size, f.sector_shift()), (4096, 3));
    // Arguments after the counted group are ignored.
    let f = features(&["1", "no_read_workqueue", "bogus"], 8).unwrap();
    assert!(f.no_read_workqueue);
    assert_eq!(features(&[], 8).unwrap(), FeatureArgs::default());
    assert_eq!(features(&["0"], 8).unwrap(), FeatureArgs::default());
}

#[test]
fn feature_errors() {
    let cases: &[(&[&str], &str)] = &[
        (
            &["10", "a", "b", "c", "d", "e", "f", "g", "h", "i", "j"],
            "Invalid number of feature args",
        ),
        (&["2", "allow_discards"], "Invalid number of feature args"),
        (&["x"], "Invalid number of feature args"),
        (&["-1"], "Invalid number of feature args"),
        (&["1", "bogus"], "Invalid feature arguments"),
        (&["1", "sector_size:1024x"], "Invalid feature arguments"),
        (
            &["1", "sector_size:256"],
            "Invalid feature value for sector_size",
        ),
        (
            &["1", "sector_size:8192"],
            "Invalid feature value for sector_size",
        ),
        (
            &["1", "sector_size:1536"],
            "Invalid feature value for sector_size",
        ),
        (
            &["1", "sector_size:4096"],
            "Device size is not multiple of sector_size feature",
        ),
        (&["1", "integrity:0:aead"], "Invalid integrity arguments"),
        (&["1", "integrity:481:aead"], "Invalid integrity arguments"),
        (&["1", "integrity:32:hmac"], "Unknown integrity profile"),
        (&["1", "integrity:32"], "Unknown integrity profile"),
        (
            &["1", "integrity_key_size:0"],
            "Invalid integrity_key_size argument",
        ),
    ];
    for (args, want) in cases {
        assert_eq!(msg(features(args, 7).unwrap_err()), *want, "{args:?}");
    }
}

#[test]
fn sector_size_wraps_like_percent_hu() {
    // 66048 = 65536 + 512: %hu keeps 512.
    assert_eq!(
        features(&["1", "sector_size:66048"], 8)
            .unwrap()
            .sector_size,
        512
    );
}

#[test]
fn integrity_option() {
    let f = features(&["1", "integrity:28:AEAD"], 8).unwrap();
    let i = f.integrity.unwrap();
    assert_eq!(
        (i.tag_size, i.profile, &i.type_as_given),
        (28, IntegrityProfile::Aead, b"AEAD")
    );
    assert!(f.integrity_aead());
    assert_eq!(
        features(&["1", "integrity_key_size:32"], 8)
            .unwrap()
            .integrity_key_size,
        Some(32)
    );
}

#[test]
fn a_second_integrity_option_keeps_the_aead_mode() {
    // As upstream: the AEAD bit, once set, stays; size and shown type follow the last option.
    let f = features(&["2", "integrity:28:aead", "integrity:16:none"], 8).unwrap();
    let i = f.integrity.unwrap();
    assert_eq!(
        (i.tag_size, i.profile, &i.type_as_given),
        (16, IntegrityProfile::Aead, b"none")
    );
    let f = features(&["2", "integrity:16:none", "integrity:28:aead"], 8).unwrap();
    assert!(f.integrity_aead());
}

#[test]
fn positional_numbers() {
    assert_eq!(parse_iv_offset(b"8", 4096), Ok(8));
    assert_eq!(
        msg(parse_iv_offset(b"4", 4096).unwrap_err()),
        "Invalid iv_offset sector"
    );
    // The alignment rule holds without iv_large_sectors too.
    assert_eq!(
        msg(parse_iv_offset(b"x", 512).unwrap_err()),
        "Invalid iv_offset sector"
    );
    assert_eq!(parse_start(b"2048"), Ok(2048));
    assert_eq!(
        msg(parse_start(b"-1").unwrap_err()),
        "Invalid device sector"
    );
}
