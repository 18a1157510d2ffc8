//! Raw HTTP against the hub, for the tests that speak to it as an attacker would: no client code
//! between the test and the wire.

use reqwest::StatusCode;
use serde_json::Value;

/// Sends one request; answers its status and JSON body (`Null` if the body is not JSON).
pub async fn call(
    method: reqwest::Method,
    url: String,
    token: Option<&str>,
    body: Option<Vec<u8>>,
    json: bool,
) -> (StatusCode, Value) {
    let mut r = reqwest::Client::new().request(method, url);
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    if let Some(b) = body {
        r = r.body(b);
        if json {
            r = r.header("content-type", "application/json");
        }
    }
    let resp = r.send().await.expect("hub answers");
    let status = resp.status();
    let bytes = resp.bytes().await.expect("a body");
    let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (status, body)
}

/// What the hub answers a bodiless request with `token`: the status and its error code (empty on
/// success).
pub async fn answer(method: reqwest::Method, url: String, token: &str) -> (u16, String) {
    let (status, body) = call(method, url, Some(token), None, false).await;
    (
        status.as_u16(),
        body["code"].as_str().unwrap_or("").to_owned(),
    )
}

/// The bearer token a client keeps in its file keystore.
pub fn token_of(dir_keystore: &std::path::Path) -> String {
    let raw = std::fs::read(dir_keystore.join("keystore.json")).expect("keystore file");
    let map: serde_json::Map<String, Value> = serde_json::from_slice(&raw).expect("json");
    let b64 = map["token"].as_str().expect("token").to_owned();
    use base64_like::decode;
    String::from_utf8(decode(&b64)).expect("utf8 token")
}

/// A tiny base64 decoder for the test, so the test does not trust the client's own code.
mod base64_like {
    pub fn decode(s: &str) -> Vec<u8> {
        let val = |c: u8| -> u32 {
            match c {
                b'A'..=b'Z' => (c - b'A') as u32,
                b'a'..=b'z' => (c - b'a' + 26) as u32,
                b'0'..=b'9' => (c - b'0' + 52) as u32,
                b'+' => 62,
                b'/' => 63,
                _ => panic!("not base64"),
            }
        };
        let bytes: Vec<u8> = s.bytes().filter(|&c| c != b'=').collect();
        let mut out = Vec::new();
        for chunk in bytes.chunks(4) {
            let mut acc = 0u32;
            for (i, &c) in chunk.iter().enumerate() {
                acc |= val(c) << (18 - 6 * i);
            }
            let n = chunk.len() * 6 / 8;
            for i in 0..n {
                out.push((acc >> (16 - 8 * i)) as u8);
            }
        }
        out
    }
}
