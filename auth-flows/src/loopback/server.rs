//! The server: the accept loop on the bound port, one reader thread per connection, the
//! deadlines, and the hand-back of the result to the waiting future.
//!
//! The server runs on its own std thread and hands its result back through a `futures-channel`
//! oneshot, so the wait works under `pollster::block_on` as well as inside tokio
//! and never blocks an executor thread. When the flow ends (a callback, the timeout, or
//! the future dropped) the port is closed and every connection still being read is shut
//! down, so no thread outlives the flow for more than a few milliseconds.
//!
//! Requests and pasted addresses go through one judge ([`Judge`]): the same parser, the
//! same path and host rules, the same check, and one count of callbacks refused for their
//! `state`.

use std::collections::BTreeMap;
use std::io;
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use auth_core::Error;
use futures_channel::oneshot;

use super::callback::{
    CallbackQuery, CallbackVerdict, Page, parse_callback_query, target_authority, target_scheme,
};
use super::checks::host_allowed;
use super::http1::{ReadError, RequestHead, read_request};
use super::paste::{Pasted, StopPastes, no_longer_waiting};
use super::{LoopbackServer, MAX_REJECTED_CALLBACKS};

/// Timeout of each socket read and write.
const IO_TIMEOUT: Duration = Duration::from_secs(2);
/// How often the server thread checks for new connections, cancellation and the deadline.
const POLL_INTERVAL: Duration = Duration::from_millis(10);
/// At most this many connections are read at the same time; a new one beyond that closes
/// the oldest silent one (else the oldest), so the browser's callback always gets a slot.
const MAX_READERS: usize = 32;

/// Starts the server thread and waits for its result: what
/// [`LoopbackServer::wait`] does.
pub(super) async fn run<T, F>(server: LoopbackServer, check: F) -> Result<T, Error>
where
    T: Send + 'static,
    F: FnMut(&CallbackQuery) -> CallbackVerdict<T> + Send + 'static,
{
    let (sender, receiver) = oneshot::channel();
    // The server thread reports to the caller's subscriber, inside the caller's span.
    let dispatch = tracing::dispatcher::get_default(Clone::clone);
    let span = tracing::info_span!("loopback", redirect_uri = %server.redirect_uri());
    let spawned = thread::Builder::new()
        .name("loopback-redirect".into())
        .spawn(move || {
            let _live = LiveThread::start();
            let _dispatch = tracing::dispatcher::set_default(&dispatch);
            let _span = span.entered();
            if let Some(result) = serve(server, check, &sender) {
                // An error only when the waiting future is gone: nobody to tell.
                let _ = sender.send(result);
            }
        });
    if let Err(e) = spawned {
        return Err(Error::Interaction(format!(
            "could not start the redirect server's thread: {e}; run the login again"
        )));
    }
    match receiver.await {
        Ok(result) => result,
        Err(oneshot::Canceled) => Err(Error::Interaction(
            "the redirect server stopped unexpectedly; run the login again".into(),
        )),
    }
}

/// A request head read by a connection thread, with its connection.
struct Incoming {
    head: RequestHead,
    stream: TcpStream,
}

/// Connections still being read, so that they can be shut down when the flow ends, or
/// closed to make room for a new one.
#[derive(Clone, Default)]
struct Readers(Arc<Mutex<ReadersInner>>);

#[derive(Default)]
struct ReadersInner {
    next_id: u64,
    /// By age (ids grow): the connection, and whether it has sent a byte yet.
    open: BTreeMap<u64, (TcpStream, bool)>,
    closed: bool,
}

impl Readers {
    fn lock(&self) -> MutexGuard<'_, ReadersInner> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Registers a connection; `None` when the server has stopped. When every slot is
    /// taken, the oldest connection that has sent nothing (else the oldest) is closed.
    fn register(&self, stream: &TcpStream) -> Option<u64> {
        let mut inner = self.lock();
        if inner.closed {
            return None;
        }
        if inner.open.len() >= MAX_READERS {
            let victim = inner
                .open
                .iter()
                .find(|(_, (_, talking))| !talking)
                .or_else(|| inner.open.iter().next())
                .map(|(id, _)| *id);
            if let Some((stream, _)) = victim.and_then(|id| inner.open.remove(&id)) {
                tracing::debug!("loopback reader slots full; closing the oldest idle connection");
                let _ = stream.shutdown(Shutdown::Both);
            }
        }
        let clone = stream.try_clone().ok()?;
        let id = inner.next_id;
        inner.next_id += 1;
        inner.open.insert(id, (clone, false));
        Some(id)
    }

    /// Notes that a connection has started to send its request.
    fn talking(&self, id: u64) {
        if let Some((_, talking)) = self.lock().open.get_mut(&id) {
            *talking = true;
        }
    }

    fn unregister(&self, id: u64) {
        self.lock().open.remove(&id);
    }

    /// Shuts down every connection still being read; their threads then end at once.
    fn close_all(&self) {
        let mut inner = self.lock();
        inner.closed = true;
        for (_, (stream, _)) in std::mem::take(&mut inner.open) {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }
}

/// Threads of the server still running, counted in unit tests only.
#[cfg(test)]
static LIVE_THREADS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Counts a server thread while it runs (in unit tests; nothing otherwise).
struct LiveThread;

impl LiveThread {
    fn start() -> Self {
        #[cfg(test)]
        LIVE_THREADS.fetch_add(1, Ordering::SeqCst);
        LiveThread
    }
}

impl Drop for LiveThread {
    fn drop(&mut self) {
        #[cfg(test)]
        LIVE_THREADS.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Runs the accept loop until the flow ends. `None` when the waiting future was dropped.
fn serve<T, F>(
    server: LoopbackServer,
    check: F,
    sender: &oneshot::Sender<Result<T, Error>>,
) -> Option<Result<T, Error>>
where
    F: FnMut(&CallbackQuery) -> CallbackVerdict<T>,
{
    let LoopbackServer {
        listener,
        addr,
        path,
        timeout,
        pastes,
    } = server;
    let _stop_pastes = StopPastes(Arc::clone(&pastes.waiting));
    let mut judge = Judge {
        redirect_uri: format!("http://{addr}{path}"),
        path,
        port: addr.port(),
        check,
        rejected: 0,
    };
    if let Err(e) = listener.set_nonblocking(true) {
        return Some(Err(Error::Interaction(format!(
            "the redirect server on {addr} could not be set up: {e}; run the login again"
        ))));
    }
    let (tx, rx) = mpsc::channel::<Incoming>();
    let readers = Readers::default();
    // `None`: a timeout too large to represent, that is, no deadline.
    let deadline = Instant::now().checked_add(timeout);

    let outcome = 'serve: loop {
        if sender.is_canceled() {
            break None;
        }
        accept_pending(&listener, &tx, &readers);
        while let Ok(pasted) = pastes.receiver.try_recv() {
            if let Some(result) = judge.paste(pasted) {
                break 'serve Some(result);
            }
        }
        let wait = match deadline {
            Some(deadline) => {
                let now = Instant::now();
                if now >= deadline {
                    break Some(Err(Error::TimedOut {
                        what: format!("the browser to return to {}", judge.redirect_uri),
                        waited: timeout,
                    }));
                }
                (deadline - now).min(POLL_INTERVAL)
            }
            None => POLL_INTERVAL,
        };
        if let Ok(incoming) = rx.recv_timeout(wait)
            && let Some(result) = judge.request(incoming)
        {
            break Some(result);
        }
    };

    // Stop: close the port, end the connection threads, answer what was already read.
    drop(listener);
    readers.close_all();
    drop(tx);
    while let Ok(mut incoming) = rx.try_recv() {
        Page::finished().write(&mut incoming.stream, incoming.head.is_head());
    }
    pastes.waiting.store(false, Ordering::SeqCst);
    while let Ok(pasted) = pastes.receiver.try_recv() {
        let _ = pasted.reply.send(Err(no_longer_waiting()));
    }
    outcome
}

/// Accepts every connection waiting in the backlog and starts a thread to read each.
fn accept_pending(listener: &TcpListener, tx: &mpsc::Sender<Incoming>, readers: &Readers) {
    loop {
        match listener.accept() {
            Ok((stream, _)) => start_reader(stream, tx.clone(), readers.clone()),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            // WouldBlock: nothing left. Anything else (too many open files, a connection
            // reset before it was accepted): try again at the next poll.
            Err(_) => return,
        }
    }
}

fn start_reader(stream: TcpStream, tx: mpsc::Sender<Incoming>, readers: Readers) {
    // Accepted sockets may inherit the listener's non-blocking mode on some platforms.
    if stream.set_nonblocking(false).is_err()
        || stream.set_read_timeout(Some(IO_TIMEOUT)).is_err()
        || stream.set_write_timeout(Some(IO_TIMEOUT)).is_err()
    {
        return;
    }
    let Some(id) = readers.register(&stream) else {
        // Stopping: close this one.
        return;
    };
    let thread_readers = readers.clone();
    let spawned = thread::Builder::new()
        .name("loopback-connection".into())
        .spawn(move || {
            let _live = LiveThread::start();
            let mut stream = stream;
            let result = read_request(&mut stream, || thread_readers.talking(id));
            thread_readers.unregister(id);
            match result {
                Ok(head) => {
                    if let Err(mpsc::SendError(mut incoming)) = tx.send(Incoming { head, stream }) {
                        // The flow ended while this request was being read.
                        Page::finished().write(&mut incoming.stream, incoming.head.is_head());
                    }
                }
                Err(ReadError::Silent) => {}
                Err(ReadError::Answer(page)) => page.write(&mut stream, false),
            }
        });
    if spawned.is_err() {
        readers.unregister(id);
    }
}

/// What the check's verdict means for the wait.
enum Judged<T> {
    /// The answer: the flow ends with it.
    Accept(T),
    /// No answer here: keep waiting.
    Ignore,
    /// Refused (a wrong `state`): say why, keep waiting.
    Refuse(Error),
    /// The flow ends with this error.
    End(Error),
}

/// The one place where a request or a pasted address is judged.
struct Judge<F> {
    redirect_uri: String,
    path: String,
    port: u16,
    check: F,
    /// Callbacks refused for their `state` so far.
    rejected: u32,
}

impl<F> Judge<F> {
    fn judge<T>(&mut self, query: &CallbackQuery) -> Judged<T>
    where
        F: FnMut(&CallbackQuery) -> CallbackVerdict<T>,
    {
        match (self.check)(query) {
            CallbackVerdict::Accept(value) => Judged::Accept(value),
            CallbackVerdict::Ignore => Judged::Ignore,
            CallbackVerdict::Fail(Error::StateMismatch) => {
                self.rejected += 1;
                tracing::info!(
                    rejected = self.rejected,
                    "loopback callback with a wrong state"
                );
                if self.rejected >= MAX_REJECTED_CALLBACKS {
                    Judged::End(Error::StateMismatch)
                } else {
                    Judged::Refuse(Error::StateMismatch)
                }
            }
            CallbackVerdict::Fail(error) => Judged::End(error),
        }
    }

    /// Answers one request; `Some` when it ends the flow.
    fn request<T>(&mut self, incoming: Incoming) -> Option<Result<T, Error>>
    where
        F: FnMut(&CallbackQuery) -> CallbackVerdict<T>,
    {
        let Incoming { head, mut stream } = incoming;
        let head_only = head.is_head();
        let query = parse_callback_query(&head.target);
        let path = self.path.clone();
        let path = path.as_str();
        if query.path() != path {
            tracing::debug!(path = query.path(), "loopback request for another path");
            Page::not_found(path).write(&mut stream, head_only);
            return None;
        }
        let host_ok = head
            .host
            .as_deref()
            .is_some_and(|host| host_allowed(host, self.port))
            && target_authority(&head.target).is_none_or(|a| host_allowed(a, self.port));
        if !host_ok {
            tracing::info!(path, "loopback request for another host name refused");
            let listening = self.redirect_uri.trim_end_matches(path).to_owned();
            Page::misdirected(&listening).write(&mut stream, head_only);
            return None;
        }
        if head.method != "GET" {
            tracing::debug!(
                method = head.method.as_str(),
                "loopback callback with a method other than GET"
            );
            Page::method_not_allowed().write(&mut stream, head_only);
            return None;
        }
        match self.judge(&query) {
            Judged::Accept(value) => {
                tracing::info!(path, "loopback callback accepted");
                Page::success().write(&mut stream, false);
                Some(Ok(value))
            }
            Judged::Ignore => {
                tracing::debug!(path, "loopback callback without an answer; still waiting");
                Page::waiting().write(&mut stream, false);
                None
            }
            Judged::Refuse(error) => {
                Page::failure(&error).write(&mut stream, false);
                None
            }
            Judged::End(error) => {
                tracing::info!(path, error = %error, "loopback callback failed the flow");
                Page::failure(&error).write(&mut stream, false);
                Some(Err(error))
            }
        }
    }

    /// Judges a pasted address by the rules of a request and replies to the person;
    /// `Some` when it ends the flow.
    fn paste<T>(&mut self, pasted: Pasted) -> Option<Result<T, Error>>
    where
        F: FnMut(&CallbackQuery) -> CallbackVerdict<T>,
    {
        let text = pasted.text.trim();
        let whole_address = target_scheme(text).is_some_and(|s| s.eq_ignore_ascii_case("http"))
            && target_authority(text).is_some_and(|a| host_allowed(a, self.port));
        let query = parse_callback_query(text);
        if !whole_address || query.path() != self.path {
            let _ = pasted.reply.send(Err(Error::Interaction(format!(
                "that is not an address of this login's redirect server: paste the whole \
                 address the browser ended on, starting with {}",
                self.redirect_uri
            ))));
            return None;
        }
        let (reply, outcome) = match self.judge(&query) {
            Judged::Accept(value) => {
                tracing::info!("pasted callback accepted");
                (Ok(()), Some(Ok(value)))
            }
            Judged::Ignore => (
                Err(Error::Interaction(
                    "that address carries neither a code nor an error: paste the address the \
                     browser ended on after the sign-in"
                        .into(),
                )),
                None,
            ),
            Judged::Refuse(error) => (Err(error), None),
            Judged::End(error) => {
                tracing::info!(error = %error, "pasted callback failed the flow");
                (Ok(()), Some(Err(error)))
            }
        };
        let _ = pasted.reply.send(reply);
        outcome
    }
}

#[cfg(test)]
mod tests {
    use std::future::Future;
    use std::io::{Read, Write};
    use std::task::{Context, Waker};

    use auth_core::Secret;

    use super::*;
    use crate::loopback::LoopbackConfig;

    #[test]
    fn oneshot_delivers_reports_drops_and_cancels() {
        let (tx, rx) = oneshot::channel();
        tx.send(5).unwrap();
        assert_eq!(pollster::block_on(rx).ok(), Some(5));

        let (tx, rx) = oneshot::channel::<u8>();
        let t = thread::spawn(move || {
            thread::sleep(Duration::from_millis(20));
            drop(tx);
        });
        assert_eq!(pollster::block_on(rx).ok(), None);
        t.join().unwrap();

        let (tx, rx) = oneshot::channel::<u8>();
        assert!(!tx.is_canceled());
        drop(rx);
        assert!(tx.is_canceled());
    }

    /// Waits up to 2 s for every server thread to end.
    fn all_threads_ended() -> bool {
        let until = Instant::now() + Duration::from_secs(2);
        while LIVE_THREADS.load(Ordering::SeqCst) != 0 {
            if Instant::now() > until {
                return false;
            }
            thread::sleep(Duration::from_millis(5));
        }
        true
    }

    /// The only unit test that starts servers, so that it can count their threads.
    #[test]
    fn no_thread_outlives_the_flow() {
        let config = LoopbackConfig::default()
            .with_port(0)
            .with_timeout(Duration::from_secs(20));

        // Success, with two idle connections (a browser's preconnects) still open.
        let server = LoopbackServer::bind(config.clone()).unwrap();
        let addr = server.local_addr();
        let browser = thread::spawn(move || {
            let idle = [
                TcpStream::connect(addr).unwrap(),
                TcpStream::connect(addr).unwrap(),
            ];
            let until = Instant::now() + Duration::from_secs(2);
            while LIVE_THREADS.load(Ordering::SeqCst) < 3 && Instant::now() < until {
                thread::sleep(Duration::from_millis(5));
            }
            let during = LIVE_THREADS.load(Ordering::SeqCst);
            let mut conn = TcpStream::connect(addr).unwrap();
            conn.write_all(
                format!("GET /?code=c&state=s HTTP/1.1\r\nHost: {addr}\r\n\r\n").as_bytes(),
            )
            .unwrap();
            let mut answer = String::new();
            conn.read_to_string(&mut answer).unwrap();
            (during, answer, idle)
        });
        let callback = pollster::block_on(server.wait_for_code(&Secret::new("s"))).unwrap();
        assert_eq!(callback.code.expose(), "c");
        assert!(
            all_threads_ended(),
            "{} threads left",
            LIVE_THREADS.load(Ordering::SeqCst)
        );
        let (during, answer, mut idle) = browser.join().unwrap();
        assert_eq!(
            during, 3,
            "the server thread and one reader per idle connection"
        );
        assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
        // The idle connections were closed by the server.
        let mut rest = Vec::new();
        assert_eq!(idle[0].read_to_end(&mut rest).unwrap_or(0), 0);

        // The future dropped while waiting, with an idle connection open.
        let server = LoopbackServer::bind(config.clone()).unwrap();
        let idle = TcpStream::connect(server.local_addr()).unwrap();
        let mut wait = Box::pin(server.wait_for_code(&Secret::new("s")));
        let mut cx = Context::from_waker(Waker::noop());
        assert!(wait.as_mut().poll(&mut cx).is_pending());
        let until = Instant::now() + Duration::from_secs(2);
        while LIVE_THREADS.load(Ordering::SeqCst) < 2 && Instant::now() < until {
            thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(LIVE_THREADS.load(Ordering::SeqCst), 2);
        drop(wait);
        assert!(
            all_threads_ended(),
            "{} threads left",
            LIVE_THREADS.load(Ordering::SeqCst)
        );
        drop(idle);

        // The timeout.
        let server = LoopbackServer::bind(config.with_timeout(Duration::from_millis(50))).unwrap();
        let _idle = TcpStream::connect(server.local_addr()).unwrap();
        let err = pollster::block_on(server.wait_for_code(&Secret::new("s"))).unwrap_err();
        assert!(matches!(err, Error::TimedOut { .. }));
        assert!(
            all_threads_ended(),
            "{} threads left",
            LIVE_THREADS.load(Ordering::SeqCst)
        );
    }
}
