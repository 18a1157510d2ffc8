//! MIMI content (`MimiContent::decode`): the CBOR body of every application message, decoded by
//! every receiver and, for abuse reports, by the hub.
//!
//! Promise checked (`content/mod.rs`): decode accepts only the deterministic encoding of a valid
//! document, so the bytes are exactly `decode(bytes)?.encode()` (message ids hash them), and a
//! decoded document passes `validate()`. Everything a client then does with received content
//! (text, JSON view, message id, expiry) must not panic either.

#![no_main]

use libfuzzer_sys::fuzz_target;
use mimi::content::MimiContent;

fuzz_target!(|data: &[u8]| {
    let Ok(content) = MimiContent::decode(data) else {
        return;
    };
    conclave_fuzz::assert_same_bytes("MimiContent", data, &content.encode());
    assert_eq!(
        content.validate(),
        Ok(()),
        "decode accepted an invalid document"
    );

    let _ = content.text_body();
    let _ = content.to_json();
    let _ = content.message_id(data);
    for now in [0, 1_700_000_000, u64::from(u32::MAX), u64::MAX] {
        let _ = content.check_expiry(now);
    }
    // CONTENT §9.1, as `validate` promises: at most MAX_PARTS NestedParts in all.
    assert!(content.body.iter_depth_first().count() <= mimi::content::MAX_PARTS);
});
