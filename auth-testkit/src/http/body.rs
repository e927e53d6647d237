//! The response size cap.

use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, mpsc};
use std::time::Duration;

use auth_core::{Error, HttpConfig};
use mockito::{Matcher, Server};

use super::server::{RawServer, read_request};
use super::{SECRET_CODE, Suite, describe, get};
/// Bodies over `max_response_bytes` (declared, chunked) are `ResponseTooLarge`; one exactly at the cap passes.
pub fn response_size_cap(s: &Suite<'_>) {
    let mut server = Server::new();
    let config = HttpConfig::default().with_max_response_bytes(1024);
    let big = "x".repeat(4096);
    server
        .mock("GET", "/big")
        .match_query(Matcher::Any)
        .with_body(&big)
        .create();
    server
        .mock("GET", "/big-chunked")
        .match_query(Matcher::Any)
        .with_chunked_body(move |w| {
            for _ in 0..4 {
                w.write_all(&[b'y'; 1024])?;
            }
            Ok(())
        })
        .create();
    server
        .mock("GET", "/exact")
        .with_body("z".repeat(1024))
        .create();

    for path in ["/big", "/big-chunked"] {
        let result = s.send_with(
            config.clone(),
            get(&format!("{}{path}?code={SECRET_CODE}", server.url())),
        );
        match &result {
            Err(e @ Error::ResponseTooLarge { limit, .. }) => {
                assert_eq!(*limit, 1024, "the error must state the configured cap");
                assert!(
                    !e.to_string().contains(SECRET_CODE),
                    "ResponseTooLarge must not show the query: {e}"
                );
            }
            _ => panic!(
                "a 4 KiB body ({path}) over a 1 KiB cap must be ResponseTooLarge, got {}",
                describe(&result)
            ),
        }
    }
    let response = s
        .send_with(config, get(&format!("{}/exact", server.url())))
        .expect("a body exactly at the cap must be accepted");
    assert_eq!(response.body().len(), 1024);
}

/// A body without length that never ends stops at the cap: `ResponseTooLarge`, and reading stops.
pub fn endless_body(s: &Suite<'_>) {
    const OFFERED: u64 = 256 * 1024 * 1024;
    let written = Arc::new(AtomicU64::new(0));
    let (done_tx, done_rx) = mpsc::channel();
    let counter = written.clone();
    let server = RawServer::start(move |_, mut stream| {
        read_request(&mut stream);
        let head = "HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\nconnection: close\r\n\r\n";
        if stream.write_all(head.as_bytes()).is_ok() {
            let chunk = vec![b'e'; 64 * 1024];
            while counter.load(Ordering::SeqCst) < OFFERED {
                if stream.write_all(&chunk).is_err() {
                    break;
                }
                counter.fetch_add(chunk.len() as u64, Ordering::SeqCst);
            }
        }
        let _ = done_tx.send(());
    });
    let config = HttpConfig::default().with_max_response_bytes(1024);
    let result = s.send_with(config, get(&format!("http://{}/endless", server.addr)));
    assert!(
        matches!(result, Err(Error::ResponseTooLarge { limit: 1024, .. })),
        "a body without length that never ends must be ResponseTooLarge, got {}",
        describe(&result)
    );
    let finished = done_rx.recv_timeout(Duration::from_secs(20)).is_ok();
    let sent = written.load(Ordering::SeqCst);
    assert!(
        finished && sent < OFFERED,
        "the backend must stop reading (and drop the connection) past the cap; the server \
         wrote {sent} bytes of {OFFERED}"
    );
}
