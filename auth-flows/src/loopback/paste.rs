//! Pasted redirect addresses: the way in that [`LoopbackServer::redirect_paste`]
//! hands out, and the server's end of it. The server judges each paste like a request
//! (`server::Judge`) and sends the verdict back to the person's thread.
//!
//! [`LoopbackServer::redirect_paste`]: super::LoopbackServer::redirect_paste

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};

use auth_core::Error;

/// An address the person pasted, with where its verdict goes.
pub(super) struct Pasted {
    pub(super) text: String,
    pub(super) reply: mpsc::Sender<Result<(), Error>>,
}

/// The way in for pasted addresses: the server's end, and what it hands out.
pub(super) struct Pastes {
    sender: mpsc::Sender<Pasted>,
    pub(super) receiver: mpsc::Receiver<Pasted>,
    pub(super) waiting: Arc<AtomicBool>,
}

impl Pastes {
    pub(super) fn new() -> Self {
        let (sender, receiver) = mpsc::channel();
        Pastes {
            sender,
            receiver,
            waiting: Arc::new(AtomicBool::new(true)),
        }
    }

    pub(super) fn handle(&self) -> PasteHandle {
        PasteHandle {
            sender: self.sender.clone(),
            waiting: Arc::clone(&self.waiting),
        }
    }
}

/// What [`LoopbackServer::redirect_paste`] hands out.
pub(super) struct PasteHandle {
    sender: mpsc::Sender<Pasted>,
    waiting: Arc<AtomicBool>,
}

pub(super) fn no_longer_waiting() -> Error {
    Error::Interaction(
        "the login is no longer waiting for an address; run the login again if needed".into(),
    )
}

impl auth_core::RedirectPaste for PasteHandle {
    fn submit(&self, pasted: &str) -> Result<(), Error> {
        if !self.is_waiting() {
            return Err(no_longer_waiting());
        }
        let (reply, verdict) = mpsc::channel();
        let pasted = Pasted {
            text: pasted.to_owned(),
            reply,
        };
        self.sender.send(pasted).map_err(|_| no_longer_waiting())?;
        // No answer: the server stopped before it looked at the paste.
        verdict.recv().unwrap_or_else(|_| Err(no_longer_waiting()))
    }

    fn is_waiting(&self) -> bool {
        self.waiting.load(Ordering::SeqCst)
    }
}

/// Marks the pastes' way in closed when the server stops, however it stops.
pub(super) struct StopPastes(pub(super) Arc<AtomicBool>);

impl Drop for StopPastes {
    fn drop(&mut self) {
        self.0.store(false, Ordering::SeqCst);
    }
}
