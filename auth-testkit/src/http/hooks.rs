//! The hook contract: a request's `HopHooks` run on every hop, told where it goes.

use std::sync::{Arc, Mutex};

use auth_core::http::{Hop, HopHook, HopHooks};
use auth_core::{Error, HttpConfig};
use mockito::{Matcher, Server};

use super::server::{RawServer, read_request, respond};
use super::{Suite, describe, get, text};

const HOOK_TOKEN: &str = "Bearer hook-token-91c2";

/// What the recording hook saw of one hop.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Seen {
    method: String,
    path: String,
    same_origin: bool,
    redirects: u32,
    attempt: u32,
    had_authorization: bool,
    had_cookie: bool,
}

/// Records each hop, numbers it in `x-hop`, and adds a bearer token on same-origin hops
/// only (as a credential hook must).
#[derive(Default)]
struct Recorder {
    seen: Mutex<Vec<Seen>>,
}

impl Recorder {
    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

impl HopHook for Recorder {
    fn on_hop(&self, hop: &mut Hop<'_>) -> Result<(), Error> {
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        seen.push(Seen {
            method: hop.method().to_string(),
            path: hop.url().path().to_owned(),
            same_origin: hop.is_same_origin(),
            redirects: hop.redirects(),
            attempt: hop.attempt(),
            had_authorization: hop.headers().contains_key(http::header::AUTHORIZATION),
            had_cookie: hop.headers().contains_key(http::header::COOKIE),
        });
        let number = http::HeaderValue::from(seen.len());
        hop.headers_mut().insert("x-hop", number);
        if hop.is_same_origin() {
            hop.headers_mut().insert(
                http::header::AUTHORIZATION,
                http::HeaderValue::from_static(HOOK_TOKEN),
            );
        }
        Ok(())
    }
}

fn hooked(mut request: http::Request<Vec<u8>>, hook: Arc<dyn HopHook>) -> http::Request<Vec<u8>> {
    HopHooks::push(&mut request, hook);
    request
}

/// Hooks run on the first attempt, on each redirect hop and on each retry, told the hop's
/// method and URL, how many redirects came before, the attempt, and whether the chain is
/// still on the original origin (no longer once it left, even back home).
pub fn hooks_run_on_every_hop_and_retry(s: &Suite<'_>) {
    let mut a = Server::new();
    let mut b = Server::new();
    a.mock("GET", "/start")
        .match_header("x-hop", "1")
        .match_header("authorization", HOOK_TOKEN)
        .with_status(302)
        .with_header("location", "/next")
        .expect(1)
        .create();
    a.mock("GET", "/next")
        .match_header("x-hop", "2")
        .match_header("authorization", HOOK_TOKEN)
        .with_status(302)
        .with_header("location", &format!("{}/away", b.url()))
        .expect(1)
        .create();
    let away = b
        .mock("GET", "/away")
        .match_header("x-hop", "3")
        .match_header("authorization", Matcher::Missing)
        .with_status(302)
        .with_header("location", &format!("{}/back", a.url()))
        .expect(1)
        .create();
    let busy = a
        .mock("GET", "/back")
        .match_header("x-hop", "4")
        .match_header("authorization", Matcher::Missing)
        .with_status(503)
        .with_header("retry-after", "0")
        .expect(1)
        .create();
    let done = a
        .mock("GET", "/back")
        .match_header("x-hop", "5")
        .match_header("authorization", Matcher::Missing)
        .with_body("done")
        .expect(1)
        .create();
    let recorder = Arc::new(Recorder::default());
    let request = hooked(get(&format!("{}/start", a.url())), recorder.clone());
    let result = s.send(request);
    let seen = recorder.seen();
    let summary: Vec<(&str, bool, u32, u32)> = seen
        .iter()
        .map(|h| (h.path.as_str(), h.same_origin, h.redirects, h.attempt))
        .collect();
    assert_eq!(
        summary,
        [
            ("/start", true, 0, 0),
            ("/next", true, 1, 0),
            ("/away", false, 2, 0),
            ("/back", false, 3, 0),
            ("/back", false, 3, 1),
        ],
        "the hook must run once per hop and per retry, told (path, same origin, redirects, \
         attempt); the call ended with {}",
        describe(&result)
    );
    assert!(seen.iter().all(|h| h.method == "GET"));
    let response = result.expect("the chain ends in a 200");
    assert_eq!(text(&response), "done");
    assert!(
        away.matched() && busy.matched() && done.matched(),
        "every hop must carry what the hook set, and a chain that left the origin must not \
         get the hook's credentials back"
    );
}

/// A hop to another origin reaches the hooks without `Authorization` or `Cookie` (the
/// backend drops them first), and a hook that adds credentials only on same-origin hops
/// sends none there.
pub fn cross_origin_hops_carry_no_credentials(s: &Suite<'_>) {
    let mut a = Server::new();
    let mut b = Server::new();
    a.mock("GET", "/leave")
        .with_status(307)
        .with_header("location", &format!("{}/land", b.url()))
        .create();
    let landed = b
        .mock("GET", "/land")
        .match_header("authorization", Matcher::Missing)
        .match_header("cookie", Matcher::Missing)
        .with_body("landed")
        .expect(1)
        .create();
    let recorder = Arc::new(Recorder::default());
    let request = http::Request::get(format!("{}/leave", a.url()))
        .header("authorization", "Bearer caller-token-55aa")
        .header("cookie", "session=caller-cookie")
        .body(Vec::new())
        .expect("test request");
    let response = s.ok(hooked(request, recorder.clone()));
    assert_eq!(text(&response), "landed");
    let seen = recorder.seen();
    assert_eq!(seen.len(), 2, "one hop each side: {seen:?}");
    assert!(seen[0].same_origin && seen[0].had_authorization && seen[0].had_cookie);
    assert!(
        !seen[1].same_origin && !seen[1].had_authorization && !seen[1].had_cookie,
        "a cross-origin hop must reach the hooks without credentials: {:?}",
        seen[1]
    );
    assert!(
        landed.matched(),
        "the other origin must get neither Authorization nor Cookie"
    );
}

/// Adds a query parameter and a form field, as OAuth 1 query and body placement do.
struct Placer;

impl HopHook for Placer {
    fn on_hop(&self, hop: &mut Hop<'_>) -> Result<(), Error> {
        hop.url_mut()
            .query_pairs_mut()
            .append_pair("placed", "in query");
        if !hop.body().is_empty() {
            hop.body_mut().extend_from_slice(b"&placed=in+body");
        }
        Ok(())
    }
}

/// What the hooks leave (URL, headers, body) is exactly what is sent, on every hop: the
/// added query parameter and body field arrive, and a same-origin 307 repeats them once
/// (the hooks start again from the request, they do not pile up).
pub fn hooks_change_what_is_sent(s: &Suite<'_>) {
    let mut server = Server::new();
    server
        .mock("POST", "/v1/notes")
        .match_query(Matcher::UrlEncoded("placed".into(), "in query".into()))
        .match_body("text=hello&placed=in+body")
        .with_status(307)
        .with_header("location", "/v2/notes?kept=1")
        .expect(1)
        .create();
    let moved = server
        .mock("POST", "/v2/notes")
        .match_query(Matcher::Exact("kept=1&placed=in+query".into()))
        .match_header("content-type", "application/x-www-form-urlencoded")
        .match_body("text=hello&placed=in+body")
        .with_status(201)
        .expect(1)
        .create();
    let request = http::Request::post(format!("{}/v1/notes", server.url()))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(b"text=hello".to_vec())
        .expect("test request");
    let response = s.ok(hooked(request, Arc::new(Placer)));
    assert_eq!(response.status(), 201);
    assert!(
        moved.matched(),
        "each hop must carry the hook's query parameter and body field exactly once"
    );
}

/// Refuses every hop.
struct Refuse;

impl HopHook for Refuse {
    fn on_hop(&self, _hop: &mut Hop<'_>) -> Result<(), Error> {
        Err(Error::config("the test hook refuses this hop"))
    }
}

/// Moves the hop to plain `http://` on a host that is not loopback.
struct Downgrade;

impl HopHook for Downgrade {
    fn on_hop(&self, hop: &mut Hop<'_>) -> Result<(), Error> {
        *hop.url_mut() = "http://example.invalid/elsewhere"
            .parse()
            .map_err(|_| Error::config("test URL"))?;
        Ok(())
    }
}

/// A hook's error ends the call with that error, and a URL a hook leaves must pass the
/// transport check: in both cases nothing is sent.
pub fn hook_errors_and_insecure_urls_stop_the_call(s: &Suite<'_>) {
    let server = RawServer::start(|_, mut stream| {
        if read_request(&mut stream) {
            respond(&mut stream, 200, "must not be reached");
        }
    });
    let url = format!("http://{}/x", server.addr);
    let result = s.send(hooked(get(&url), Arc::new(Refuse)));
    assert!(
        matches!(&result, Err(e @ Error::Config { .. }) if e.to_string().contains("refuses this hop")),
        "a hook's error must end the call with it, got {}",
        describe(&result)
    );
    let config = HttpConfig::default().with_max_retries(0);
    let result = s.send_with(config, hooked(get(&url), Arc::new(Downgrade)));
    assert!(
        matches!(result, Err(Error::InsecureTransport { .. })),
        "a URL left by a hook must pass the transport check, got {}",
        describe(&result)
    );
    assert_eq!(
        server.connections(),
        0,
        "nothing may be sent in either case"
    );
}
