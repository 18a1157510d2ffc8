//! The passphrase keystore's file (`keystore.sealed`, `conclave_client::keystore::sealed`): read
//! from the data directory at every start, before the passphrase is known, so a damaged or
//! planted file meets this parser first.
//!
//! Promise checked: parsing and checking the key derivation's parameters never panic, and a
//! file whose parameters pass the check asks for no more than the limits (so opening it cannot
//! take minutes or gigabytes).

#![no_main]

use conclave_client::keystore::sealed::SealedFile;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(file) = SealedFile::parse(data) else {
        return;
    };
    if let Ok(salt) = file.kdf.check() {
        assert!((16..=64).contains(&salt.len()));
        assert!(file.kdf.m_cost_kib <= 1024 * 1024 && file.kdf.t_cost <= 16);
    }
});
