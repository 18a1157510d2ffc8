//! Franking and abuse reports (`mimi::franking`): the FrankAAD and franking agent every receiver
//! reads, and the `AbuseReport` a reporter posts to the hub, whose messages the hub verifies.
//! The first byte picks the decoder (`conclave_fuzz::franking`).
//!
//! Promise checked (`franking/wire.rs`): every `from_bytes` is strict (exactly one struct,
//! minimal vector lengths), so an accepted input re-encodes to itself; the `server_frank` HMAC
//! and the integrity signature are over re-encoded contexts. `verify_reported` runs on every
//! reported message and must refuse, never panic.

#![no_main]

use conclave_fuzz::franking as sel;
use conclave_fuzz::{round_trip, select};
use libfuzzer_sys::fuzz_target;
use mimi::franking::{
    AbuseReport, AbusiveMessage, FrankAad, FrankingAgentData, FrankingIntegrityTbs,
    ServerFrankingContext, verify_reported,
};

fn report(m: &AbusiveMessage) {
    let _ = verify_reported(m, &sel::HUB_KEY, &sel::FRANKING_PUBLIC_KEY, sel::ROOM);
}

fuzz_target!(|data: &[u8]| {
    let Some((selector, bytes)) = select(data, sel::COUNT) else {
        return;
    };
    match selector {
        sel::FRANK_AAD => {
            let _ = round_trip!(FrankAad, bytes);
        }
        sel::FRANKING_AGENT_DATA => {
            let _ = round_trip!(FrankingAgentData, bytes);
        }
        sel::SERVER_FRANKING_CONTEXT => {
            let _ = round_trip!(ServerFrankingContext, bytes);
        }
        sel::FRANKING_INTEGRITY_TBS => {
            let _ = round_trip!(FrankingIntegrityTbs, bytes);
        }
        sel::ABUSIVE_MESSAGE => {
            if let Some(m) = round_trip!(AbusiveMessage, bytes) {
                report(&m);
            }
        }
        sel::ABUSE_REPORT => {
            if let Some(r) = round_trip!(AbuseReport, bytes) {
                assert!(r.validate().is_ok());
                assert!(r.note().is_ok());
                r.messages.iter().for_each(report);
            }
        }
        _ => unreachable!("select() returns less than COUNT"),
    }
});
