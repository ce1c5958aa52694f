//! A real SMTP server on 127.0.0.1 (mailin) that keeps every message it
//! accepted, raw, and refuses addresses containing "ditolak".

#![allow(dead_code)]

use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use mailin_embedded::{Handler, Response, Server, response};

/// Every message the server accepted, raw.
#[derive(Clone, Default)]
pub struct Inbox {
    pub received: Arc<Mutex<Vec<Vec<u8>>>>,
    current: Vec<u8>,
}

impl Handler for Inbox {
    fn rcpt(&mut self, to: &str) -> Response {
        if to.contains("ditolak") {
            response::NO_MAILBOX
        } else {
            response::OK
        }
    }

    fn data_start(
        &mut self,
        _domain: &str,
        _from: &str,
        _is8bit: bool,
        _to: &[String],
    ) -> Response {
        self.current.clear();
        response::OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.current.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        self.received
            .lock()
            .unwrap()
            .push(std::mem::take(&mut self.current));
        response::OK
    }
}

/// A free port on 127.0.0.1 (nothing listens there until `serve` is called).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts a real SMTP server on `port` in a thread.
pub fn serve(port: u16) -> Arc<Mutex<Vec<Vec<u8>>>> {
    let inbox = Inbox::default();
    let received = inbox.received.clone();
    let listener = TcpListener::bind(("127.0.0.1", port)).unwrap();
    let mut server = Server::new(inbox);
    server.with_name("smtp.test").with_tcp_listener(listener);
    std::thread::spawn(move || {
        let _ = server.serve();
    });
    received
}
