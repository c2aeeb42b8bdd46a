// SPDX-License-Identifier: GPL-2.0

//! Tests of the multi-data-unit path's choice (`src/crypt/multi_du.rs`).

use crate::{
    iv::{
        select,
        IvChoice, //
    },
    multi_du::*,
};

fn iv(mode: &str) -> IvChoice {
    select(Some(mode.as_bytes()), 16, 64, 1).unwrap()
}

fn table<'a>(api: &'a str, iv: &'a IvChoice) -> Table<'a> {
    Table {
        api: api.as_bytes(),
        aead: false,
        tfms_count: 1,
        iv,
        integrity: false,
        key_size: 64,
        sector_size: 512,
        iv_large_sectors: false,
    }
}

#[test]
fn modes() {
    // The order of the values in helpers.c's `multi_data_unit_names`.
    let names: Vec<_> = Mode::ALL.iter().map(|m| m.name()).collect();
    assert_eq!(names, ["auto", "off", "lib", "api"]);
}

#[test]
fn eligibility() {
    let plain64 = iv("plain64");
    let plain = iv("plain");
    assert_eq!(eligible(&table("xts(aes)", &plain64)), Ok(()));
    assert_eq!(eligible(&table("xts(aes)", &plain)), Ok(()));
    assert_eq!(eligible(&table("cbc(aes)", &plain64)), Ok(()));
    for mode in [
        "plain64be",
        "essiv",
        "benbi",
        "null",
        "lmk",
        "tcw",
        "random",
        "eboiv",
    ] {
        assert!(eligible(&table("xts(aes)", &iv(mode))).is_err(), "{mode}");
    }
    let no_iv = select(None, 16, 64, 1).unwrap();
    assert!(eligible(&table("xts(aes)", &no_iv)).is_err());
    let t = |f: fn(&mut Table<'_>)| {
        let mut t = table("xts(aes)", &plain64);
        f(&mut t);
        eligible(&t)
    };
    assert_eq!(t(|t| t.aead = true), Err("AEAD cipher"));
    assert_eq!(t(|t| t.integrity = true), Err("integrity metadata"));
    assert_eq!(t(|t| t.tfms_count = 2), Err("more than one key"));
    // An 8-byte IV (a 64-bit block cipher) is not an XTS tweak.
    let small = select(Some(b"plain64"), 8, 64, 1).unwrap();
    assert!(eligible(&table("xts(aes)", &small)).is_err());
}

#[test]
fn choice() {
    let plain64 = iv("plain64");
    let xts = table("xts(aes)", &plain64);
    let lib = Choice::MultiDataUnit(Backend::Lib);
    assert_eq!(choose(Mode::Lib, &xts, false, ApiSupport::Missing), lib);
    assert_eq!(choose(Mode::Lib, &xts, true, ApiSupport::Missing), lib);
    assert_eq!(choose(Mode::Auto, &xts, true, ApiSupport::Missing), lib);
    assert!(matches!(
        choose(Mode::Auto, &xts, false, ApiSupport::Missing),
        Choice::PerSector(_)
    ));
    assert!(matches!(
        choose(Mode::Off, &xts, true, ApiSupport::Missing),
        Choice::PerSector(_)
    ));
    assert!(matches!(
        choose(Mode::Api, &xts, true, ApiSupport::Missing),
        Choice::PerSector(_)
    ));
    // The library takes xts(aes) with an AES-128, -192 or -256 pair of keys only.
    for (api, key) in [
        ("cbc(aes)", 64),
        ("xts(serpent)", 64),
        ("xts(aes)", 16),
        ("xts(aes)", 40),
    ] {
        let mut t = table(api, &plain64);
        t.key_size = key;
        assert!(
            matches!(
                choose(Mode::Lib, &t, true, ApiSupport::Missing),
                Choice::PerSector(_)
            ),
            "{api} {key}"
        );
    }
    for key in [32, 48, 64] {
        let mut t = table("xts(aes)", &plain64);
        t.key_size = key;
        assert_eq!(choose(Mode::Lib, &t, false, ApiSupport::Missing), lib);
    }
    // An ineligible table stays per sector whatever the mode.
    let essiv = iv("essiv");
    assert!(matches!(
        choose(
            Mode::Lib,
            &table("xts(aes)", &essiv),
            true,
            ApiSupport::Missing
        ),
        Choice::PerSector(_)
    ));
}

#[test]
fn api_backend() {
    use ApiSupport::*;
    let plain64 = iv("plain64");
    let xts = table("xts(aes)", &plain64);
    let api = Choice::MultiDataUnit(Backend::Api);
    let lib = Choice::MultiDataUnit(Backend::Lib);
    // Forced: any implementation with data units, else the per-sector path and why.
    assert_eq!(choose(Mode::Api, &xts, false, Default), api);
    assert_eq!(choose(Mode::Api, &xts, false, Other), api);
    assert_eq!(
        choose(Mode::Api, &xts, true, NoDriver),
        Choice::PerSector("no implementation of the cipher takes data units")
    );
    assert_eq!(
        choose(Mode::Api, &xts, true, Missing),
        Choice::PerSector("the crypto API has no data-unit support in this kernel")
    );
    // auto: only the cipher's own implementation, ahead of the library.
    assert_eq!(choose(Mode::Auto, &xts, true, Default), api);
    assert_eq!(choose(Mode::Auto, &xts, true, Other), lib);
    assert!(matches!(
        choose(Mode::Auto, &xts, false, Other),
        Choice::PerSector(_)
    ));
    // lib and off ignore the crypto API.
    assert_eq!(choose(Mode::Lib, &xts, false, Default), lib);
    assert!(matches!(
        choose(Mode::Off, &xts, true, Default),
        Choice::PerSector(_)
    ));
    // Any cipher with a 16-byte IV, not only AES-XTS.
    assert_eq!(
        choose(Mode::Api, &table("xts(serpent)", &plain64), false, Other),
        api
    );
    // plain wraps at 32 bits where the data-unit counter carries.
    let plain = iv("plain");
    let t = table("xts(aes)", &plain);
    assert!(matches!(
        choose(Mode::Api, &t, false, Default),
        Choice::PerSector(why) if why.contains("plain64")
    ));
    assert_eq!(choose(Mode::Auto, &t, true, Default), lib);
    assert!(!wants_api(Mode::Api, &t));
    // Sectors larger than 512 bytes need an IV that counts them.
    for (ss, large, ok) in [
        (512, false, true),
        (4096, false, false),
        (4096, true, true),
        (2048, true, true),
        (1024, false, false),
    ] {
        let mut t = table("xts(aes)", &plain64);
        t.sector_size = ss;
        t.iv_large_sectors = large;
        assert_eq!(api_supports(&t).is_ok(), ok, "{ss} {large}");
        assert_eq!(wants_api(Mode::Api, &t), ok, "{ss} {large}");
        assert_eq!(
            choose(Mode::Api, &t, false, Other) == api,
            ok,
            "{ss} {large}"
        );
    }
    assert!(wants_api(Mode::Auto, &xts));
    assert!(!wants_api(Mode::Lib, &xts));
    assert!(!wants_api(Mode::Off, &xts));
    let essiv = iv("essiv");
    assert!(!wants_api(Mode::Api, &table("xts(aes)", &essiv)));
}
