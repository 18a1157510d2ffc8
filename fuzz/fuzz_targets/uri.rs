//! MIMI URIs (`mimi::uri`): every identifier in every struct above, and the hub's request paths.
//!
//! Promise checked (`uri.rs`): Conclave accepts a subset in which an identifier has exactly one
//! spelling, so a parsed URI prints as the input, and the typed parsers accept exactly the URIs
//! of their kind.

#![no_main]

use libfuzzer_sys::fuzz_target;
use mimi::uri::{
    ClientUri, MimiUri, RoomUri, UriKind, UserUri, is_pseudonym_local, provider_uri,
    validate_provider_domain,
};

fuzz_target!(|data: &[u8]| {
    let user = UserUri::from_bytes(data);
    let client = ClientUri::from_bytes(data);
    let room = RoomUri::from_bytes(data);
    let Ok(s) = std::str::from_utf8(data) else {
        assert!(user.is_err() && client.is_err() && room.is_err());
        return;
    };
    let _ = validate_provider_domain(s);
    if let Ok(p) = provider_uri(s) {
        assert_eq!(p.domain(), s);
        assert_eq!(p.kind(), UriKind::Provider);
    }
    let Ok(uri) = MimiUri::parse(s) else {
        assert!(user.is_err() && client.is_err() && room.is_err());
        return;
    };
    assert_eq!(
        uri.to_string(),
        s,
        "a parsed URI must print as it was spelled"
    );
    assert_eq!(user.is_ok(), uri.kind() == UriKind::User);
    assert_eq!(client.is_ok(), uri.kind() == UriKind::Client);
    assert_eq!(room.is_ok(), uri.kind() == UriKind::Room);
    if let Ok(u) = &user {
        assert_eq!(u.to_bytes(), data);
        assert_eq!((u.domain(), u.local()), (uri.domain(), uri.local()));
        let _ = is_pseudonym_local(u.local());
        assert_eq!(UserUri::new(u.domain(), u.local()).as_ref(), Ok(u));
    }
    if let Ok(c) = &client {
        assert_eq!(c.to_bytes(), data);
        assert_eq!(ClientUri::new(c.domain(), c.local()).as_ref(), Ok(c));
    }
    if let Ok(r) = &room {
        assert_eq!(r.to_bytes(), data);
        assert_eq!(RoomUri::new(r.domain(), r.local()).as_ref(), Ok(r));
    }
});
