//! A TCP proxy in front of a real hub that can lose answers: a chosen request reaches the hub,
//! which handles it and answers, and the proxy then closes the client's connection without
//! passing the answer on — what a timeout, a reset or a hub restart leaves a client with.
//!
//! It reads HTTP/1.1 one message at a time (headers with `httparse`, bodies by Content-Length or
//! chunked), so a kept-alive connection carries many requests and only the chosen one is lost.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Which answers to lose.
#[derive(Default)]
struct Rule {
    /// A request whose request line contains this...
    contains: String,
    /// ...loses its answer, this many more times.
    remaining: usize,
}

/// The proxy; it stops when dropped.
pub struct Proxy {
    url: String,
    rule: Arc<Mutex<Rule>>,
    lost: Arc<AtomicUsize>,
    recorded: Arc<Mutex<Vec<Vec<u8>>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Proxy {
    /// Starts a proxy on 127.0.0.1 in front of `upstream` (`http://host:port`).
    pub async fn start(upstream: &str) -> Proxy {
        let target = upstream
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_owned();
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let rule = Arc::new(Mutex::new(Rule::default()));
        let lost = Arc::new(AtomicUsize::new(0));
        let recorded = Arc::new(Mutex::new(Vec::new()));
        let (r, l, rec) = (rule.clone(), lost.clone(), recorded.clone());
        let task = tokio::spawn(async move {
            while let Ok((down, _)) = listener.accept().await {
                let seen = Seen {
                    rule: r.clone(),
                    lost: l.clone(),
                    recorded: rec.clone(),
                };
                tokio::spawn(relay(down, target.clone(), seen));
            }
        });
        Proxy {
            url,
            rule,
            lost,
            recorded,
            task,
        }
    }

    /// The URL clients use.
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// Loses the answers of the next `n` requests whose request line contains `contains`
    /// (e.g. `"/update"`, `"/submitMessage"`).
    pub fn lose_answers(&self, contains: &str, n: usize) {
        let mut r = self.rule.lock().expect("rule");
        r.contains = contains.to_owned();
        r.remaining = n;
    }

    /// How many answers it lost so far.
    pub fn lost(&self) -> usize {
        self.lost.load(Ordering::SeqCst)
    }

    /// Every request that went through, exactly as the client sent it, in order.
    pub fn recorded(&self) -> Vec<Vec<u8>> {
        self.recorded.lock().expect("recorded").clone()
    }
}

/// What a relay shares with the proxy.
struct Seen {
    rule: Arc<Mutex<Rule>>,
    lost: Arc<AtomicUsize>,
    recorded: Arc<Mutex<Vec<Vec<u8>>>>,
}

/// Sends one raw HTTP/1.1 request to `target` (`host:port`) on a fresh connection; the answer's
/// status, or `None` if the connection closed before a whole answer came back.
pub async fn exchange(target: &str, request: &[u8]) -> Option<u16> {
    let mut s = TcpStream::connect(target).await.ok()?;
    s.write_all(request).await.ok()?;
    let mut buf = Vec::new();
    let answer = read_message(&mut s, &mut buf, true).await?;
    let line = String::from_utf8_lossy(&answer[..answer.len().min(64)]).to_string();
    line.split_whitespace().nth(1)?.parse().ok()
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Relays one client connection, message by message.
async fn relay(mut down: TcpStream, target: String, seen: Seen) {
    let Ok(mut up) = TcpStream::connect(&target).await else {
        return;
    };
    let mut down_buf = Vec::new();
    let mut up_buf = Vec::new();
    loop {
        let Some(request) = read_message(&mut down, &mut down_buf, false).await else {
            return;
        };
        let line = String::from_utf8_lossy(&request[..request.len().min(256)])
            .lines()
            .next()
            .unwrap_or_default()
            .to_owned();
        seen.recorded
            .lock()
            .expect("recorded")
            .push(request.clone());
        if up.write_all(&request).await.is_err() {
            return;
        }
        let Some(response) = read_message(&mut up, &mut up_buf, true).await else {
            return;
        };
        let lose = {
            let mut r = seen.rule.lock().expect("rule");
            let hit = r.remaining > 0 && !r.contains.is_empty() && line.contains(&r.contains);
            if hit {
                r.remaining -= 1;
            }
            hit
        };
        if lose {
            // The hub has handled it and answered; the client never hears.
            seen.lost.fetch_add(1, Ordering::SeqCst);
            let _ = down.shutdown().await;
            return;
        }
        if down.write_all(&response).await.is_err() {
            return;
        }
    }
}

/// Reads one whole HTTP/1.1 message (head and body) from `s`, keeping what follows in `buf`.
async fn read_message(s: &mut TcpStream, buf: &mut Vec<u8>, response: bool) -> Option<Vec<u8>> {
    let head_len = loop {
        if let Some(i) = find(buf, b"\r\n\r\n") {
            break i + 4;
        }
        fill(s, buf).await?;
    };
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let (length, chunked) = {
        let hs: &[httparse::Header<'_>] = if response {
            let mut r = httparse::Response::new(&mut headers);
            r.parse(&buf[..head_len]).ok()?;
            r.headers
        } else {
            let mut r = httparse::Request::new(&mut headers);
            r.parse(&buf[..head_len]).ok()?;
            r.headers
        };
        let value = |name: &str| {
            hs.iter()
                .find(|h| h.name.eq_ignore_ascii_case(name))
                .map(|h| String::from_utf8_lossy(h.value).trim().to_ascii_lowercase())
        };
        let length: usize = value("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let chunked = value("transfer-encoding").is_some_and(|v| v.contains("chunked"));
        (length, chunked)
    };
    let end = if chunked {
        let mut at = head_len;
        loop {
            let line_end = loop {
                if let Some(i) = find(&buf[at..], b"\r\n") {
                    break at + i;
                }
                fill(s, buf).await?;
            };
            let size_text = String::from_utf8_lossy(&buf[at..line_end]).to_string();
            let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
            let chunk_end = line_end + 2 + size + 2;
            while buf.len() < chunk_end {
                fill(s, buf).await?;
            }
            at = chunk_end;
            if size == 0 {
                break at;
            }
        }
    } else {
        while buf.len() < head_len + length {
            fill(s, buf).await?;
        }
        head_len + length
    };
    Some(buf.drain(..end).collect())
}

async fn fill(s: &mut TcpStream, buf: &mut Vec<u8>) -> Option<()> {
    let mut chunk = [0u8; 16 * 1024];
    match s.read(&mut chunk).await {
        Ok(0) | Err(_) => None,
        Ok(n) => {
            buf.extend_from_slice(&chunk[..n]);
            Some(())
        }
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}
