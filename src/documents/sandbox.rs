//! Typesetting behind a wall: every document is typeset by a worker
//! process (this same program, run as `sertibot __typeset`) with a limit
//! on its memory (`setrlimit`), a lower priority, and a time limit per
//! document kept by the caller, which kills a worker that runs over.
//!
//! A template is code: an operator's copy (or a mistake in one) can loop
//! for ever or ask for gigabytes, and a logo is decoded by the typesetter.
//! In the worker such a template costs one killed process and a
//! [`TemplateFault`] naming the template and the limit it hit; the service
//! keeps answering members and stops on SIGTERM as it always does.
//!
//! The conversation is framed on the worker's standard input and output:
//! a request is a 4-byte big-endian length and a [`Job`] as JSON; an
//! answer is one byte (0: the file, 1: a [`TemplateFault`] as JSON), a
//! 4-byte length and the bytes. One worker serves the documents of one
//! call in turn ([`Session`]), so a batch of a thousand letters starts one
//! process, not a thousand.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::engine::{self, TemplateFault, TemplateText};

/// The argument that makes this program a typesetting worker.
pub const WORKER_ARG: &str = "__typeset";

/// The largest request or answer on the worker's pipes.
const MAX_FRAME: usize = 256 * 1024 * 1024;

/// How much a document may cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Seconds one document may take (`documents.typeset_seconds`).
    pub seconds: u64,
    /// MiB of memory the worker may use (`documents.typeset_memory_mib`).
    pub memory_mib: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            seconds: 60,
            memory_mib: 2048,
        }
    }
}

/// What the worker is to make.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Job {
    /// The template's file name and text.
    pub file: String,
    pub text: String,
    /// The shared letterhead's file name and text.
    pub shared_file: String,
    pub shared_text: String,
    /// The facts, as `/data.json`.
    pub data: serde_json::Value,
    pub logo: Option<Vec<u8>>,
    /// The document's date.
    pub dated: DateTime<Utc>,
    pub output: Output,
}

/// The file a job makes.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Output {
    /// A PDF with this stable identifier.
    Pdf { ident: String },
    /// The first page as a PNG at this many pixels per point.
    Png { pixels_per_point: f64 },
}

/// Makes the file of `job` here, in this process (the worker's part).
fn make(job: &Job) -> Result<Vec<u8>, TemplateFault> {
    let paged = lay_out(job)?;
    Ok(match &job.output {
        Output::Pdf { ident } => engine::pdf(&paged, ident, job.dated),
        Output::Png { pixels_per_point } => engine::png(&paged, *pixels_per_point),
    })
}

/// The pages of `job`, laid out here, in this process.
pub(crate) fn lay_out(job: &Job) -> Result<typst_layout::PagedDocument, TemplateFault> {
    engine::typeset(
        TemplateText {
            file: &job.file,
            text: &job.text,
        },
        TemplateText {
            file: &job.shared_file,
            text: &job.shared_text,
        },
        &job.data,
        job.logo.as_deref(),
        job.dated,
    )
}

/// Where the worker program is and what it may cost.
#[derive(Debug, Clone)]
pub struct Typesetter {
    /// The sertibot program run as the worker.
    pub program: PathBuf,
    pub limits: Limits,
    /// Set when the service is stopping: a document being typeset is
    /// given up at once (its worker killed) rather than holding the stop.
    stopping: Arc<AtomicBool>,
}

impl Typesetter {
    /// This program as the worker (`SERTIBOT_TYPESETTER` names another
    /// sertibot binary: a test harness is not one), with `limits`.
    pub fn this_program(limits: Limits, named: Option<PathBuf>) -> Typesetter {
        let program = named
            .or_else(|| std::env::current_exe().ok())
            .unwrap_or_else(|| PathBuf::from("sertibot"));
        Typesetter {
            program,
            limits,
            stopping: Arc::default(),
        }
    }

    /// Gives up what is being typeset now and refuses more: the service
    /// is stopping.
    pub fn stop(&self) {
        self.stopping.store(true, Ordering::Relaxed);
    }

    /// A worker for the documents of one call, started at the first.
    pub fn session(&self) -> Session<'_> {
        Session {
            typesetter: self,
            worker: None,
        }
    }
}

/// A running worker: its process, its input, and its answers as a thread
/// reads them.
struct Worker {
    child: Child,
    input: ChildStdin,
    answers: mpsc::Receiver<std::io::Result<Answer>>,
}

/// How waiting for one document ended.
enum Waited {
    Made(Vec<u8>),
    /// The template's own fault, told by the worker.
    Refused(TemplateFault),
    /// Over the time limit, or the service stopping: the worker is killed.
    GivenUp(TemplateFault),
    /// The worker ended without an answer.
    Died,
}

/// One answer of the worker.
enum Answer {
    File(Vec<u8>),
    Fault(TemplateFault),
}

/// The documents of one call, typeset in turn by one worker (a new one
/// after a worker was killed).
pub struct Session<'a> {
    typesetter: &'a Typesetter,
    worker: Option<Worker>,
}

impl Session<'_> {
    /// Makes `job`'s file in the worker.
    ///
    /// # Errors
    /// The template's own fault, or one naming the limit it ran over (or
    /// that the worker could not be started, or the service is stopping).
    pub fn make(&mut self, job: &Job) -> Result<Vec<u8>, TemplateFault> {
        let limits = self.typesetter.limits;
        let fault = |message: String| TemplateFault {
            file: job.file.clone(),
            line: 0,
            message,
            passing: false,
        };
        let passing = |message: &str| TemplateFault {
            passing: true,
            ..fault(message.into())
        };
        if self.typesetter.stopping.load(Ordering::Relaxed) {
            return Err(passing("the service is stopping"));
        }
        let request = serde_json::to_vec(job).map_err(|e| fault(e.to_string()))?;
        if self.worker.is_none() {
            self.worker = Some(self.start().map_err(|e| {
                passing(&format!(
                    "the typesetter {} cannot be started: {e}",
                    self.typesetter.program.display()
                ))
            })?);
        }
        let worker = self.worker.as_mut().expect("started above");
        let sent = worker
            .input
            .write_all(&frame_length(request.len()))
            .and_then(|()| worker.input.write_all(&request))
            .and_then(|()| worker.input.flush());
        let deadline = Instant::now() + Duration::from_secs(limits.seconds);
        let waited = if sent.is_err() {
            Waited::Died
        } else {
            loop {
                if self.typesetter.stopping.load(Ordering::Relaxed) {
                    break Waited::GivenUp(passing("the service is stopping"));
                }
                if Instant::now() >= deadline {
                    break Waited::GivenUp(fault(format!(
                        "typesetting took longer than {} s, the limit (documents.typeset_seconds); the template may loop for ever",
                        limits.seconds
                    )));
                }
                match worker.answers.recv_timeout(Duration::from_millis(50)) {
                    Ok(Ok(Answer::File(bytes))) => break Waited::Made(bytes),
                    Ok(Ok(Answer::Fault(f))) => break Waited::Refused(f),
                    Ok(Err(_)) | Err(mpsc::RecvTimeoutError::Disconnected) => break Waited::Died,
                    Err(mpsc::RecvTimeoutError::Timeout) => {}
                }
            }
        };
        match waited {
            Waited::Made(bytes) => Ok(bytes),
            // The template's own fault: the worker serves the next one.
            Waited::Refused(f) => Err(f),
            Waited::GivenUp(f) => {
                self.stop_worker();
                Err(f)
            }
            Waited::Died => {
                // The worker died on its own: out of memory, in all likelihood.
                let status = self.stop_worker();
                Err(fault(match status {
                    Some(s) if signal_of(&s) == Some(libc::SIGXCPU) => format!(
                        "typesetting took longer than the limit of {} s (documents.typeset_seconds)",
                        limits.seconds
                    ),
                    _ => format!(
                        "typesetting needed more than {} MiB of memory, the limit (documents.typeset_memory_mib), or the typesetter failed",
                        limits.memory_mib
                    ),
                }))
            }
        }
    }

    fn start(&self) -> std::io::Result<Worker> {
        let limits = self.typesetter.limits;
        let mut child = Command::new(&self.typesetter.program)
            .arg(WORKER_ARG)
            .arg(limits.seconds.to_string())
            .arg(limits.memory_mib.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        let input = child.stdin.take().expect("piped");
        let mut output = child.stdout.take().expect("piped");
        let (tx, answers) = mpsc::channel();
        std::thread::Builder::new()
            .name("typesetter".into())
            .spawn(move || {
                loop {
                    let answer = read_answer(&mut output);
                    let ended = answer.is_err();
                    if tx.send(answer).is_err() || ended {
                        break;
                    }
                }
            })?;
        Ok(Worker {
            child,
            input,
            answers,
        })
    }

    /// Kills and reaps the worker, if there is one; its exit status.
    fn stop_worker(&mut self) -> Option<std::process::ExitStatus> {
        let mut worker = self.worker.take()?;
        let _ = worker.child.kill();
        worker.child.wait().ok()
    }
}

impl Drop for Session<'_> {
    fn drop(&mut self) {
        self.stop_worker();
    }
}

fn frame_length(len: usize) -> [u8; 4] {
    u32::try_from(len).unwrap_or(u32::MAX).to_be_bytes()
}

fn read_frame(input: &mut impl Read) -> std::io::Result<Vec<u8>> {
    let mut length = [0u8; 4];
    input.read_exact(&mut length)?;
    let length = u32::from_be_bytes(length) as usize;
    if length > MAX_FRAME {
        return Err(std::io::Error::other("a frame over the limit"));
    }
    let mut bytes = vec![0u8; length];
    input.read_exact(&mut bytes)?;
    Ok(bytes)
}

fn read_answer(output: &mut impl Read) -> std::io::Result<Answer> {
    let mut tag = [0u8; 1];
    output.read_exact(&mut tag)?;
    let bytes = read_frame(output)?;
    match tag[0] {
        0 => Ok(Answer::File(bytes)),
        _ => serde_json::from_slice(&bytes)
            .map(Answer::Fault)
            .map_err(std::io::Error::other),
    }
}

fn signal_of(status: &std::process::ExitStatus) -> Option<i32> {
    use std::os::unix::process::ExitStatusExt;
    status.signal()
}

/// The worker: limits itself, then makes each job read from standard
/// input until it closes. `args` are the seconds and MiB its caller keeps.
pub fn serve(args: &[String]) -> std::process::ExitCode {
    let number = |i: usize, default: u64| {
        args.get(i)
            .and_then(|a| a.parse::<u64>().ok())
            .unwrap_or(default)
    };
    let limits = Limits {
        seconds: number(0, Limits::default().seconds),
        memory_mib: number(1, Limits::default().memory_mib),
    };
    limit_this_process(limits);
    let mut input = std::io::stdin().lock();
    let mut output = std::io::stdout().lock();
    while let Ok(request) = read_frame(&mut input) {
        let answer = match serde_json::from_slice::<Job>(&request) {
            Ok(job) => make(&job),
            Err(e) => Err(TemplateFault {
                file: String::new(),
                line: 0,
                message: format!("a request the typesetter cannot read: {e}"),
                passing: false,
            }),
        };
        let (tag, bytes) = match answer {
            Ok(bytes) => (0u8, bytes),
            Err(fault) => (1u8, serde_json::to_vec(&fault).unwrap_or_default()),
        };
        let written = output
            .write_all(&[tag])
            .and_then(|()| output.write_all(&frame_length(bytes.len())))
            .and_then(|()| output.write_all(&bytes))
            .and_then(|()| output.flush());
        if written.is_err() {
            break;
        }
    }
    std::process::ExitCode::SUCCESS
}

/// The worker's own walls: its address space, a CPU time backstop for a
/// worker whose caller is gone, a lower priority than the service, and
/// death with its parent.
fn limit_this_process(limits: Limits) {
    let memory = limits.memory_mib.saturating_mul(1024 * 1024);
    // A caller kills a worker over time per document; this backstop ends
    // a worker nobody waits for (its parent killed) all the same.
    let cpu = limits.seconds.saturating_mul(20).saturating_add(60);
    // SAFETY: setrlimit, setpriority and prctl only set this process's own
    // limits, priority and parent-death signal from plain integers.
    unsafe {
        let set = |resource, value: u64| {
            let limit = libc::rlimit {
                rlim_cur: value as libc::rlim_t,
                rlim_max: value as libc::rlim_t,
            };
            libc::setrlimit(resource, &limit);
        };
        set(libc::RLIMIT_AS, memory);
        set(libc::RLIMIT_CPU, cpu);
        libc::setpriority(libc::PRIO_PROCESS, 0, 10);
        #[cfg(target_os = "linux")]
        {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            if libc::getppid() == 1 {
                libc::_exit(0);
            }
        }
    }
}
