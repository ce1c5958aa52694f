//! Writing the command line's output to standard output (the `say!` macro).

use std::fmt;
use std::io::{ErrorKind, Write};

/// Writes one line to standard output. When the reader has gone away (a
/// pager closed, `| head -1`), the command stops quietly with success: what
/// was asked for was read. Any other failure to write is left unsaid, as
/// there is nowhere left to say it.
pub fn line(text: fmt::Arguments<'_>) {
    let mut out = std::io::stdout().lock();
    let written = out
        .write_fmt(text)
        .and_then(|()| out.write_all(b"\n"))
        .and_then(|()| out.flush());
    if let Err(e) = written
        && e.kind() == ErrorKind::BrokenPipe
    {
        std::process::exit(0);
    }
}
