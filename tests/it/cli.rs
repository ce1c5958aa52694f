//! The real `sertibot` binary in a fresh folder, as an operator uses it.

use crate::support;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_sertibot");

fn sertibot_with(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .current_dir(dir)
        .env_remove("TELOXIDE_TOKEN")
        .env_remove("TELOXIDE_API_URL")
        .env_remove("SERTIBOT_SMTP_URL")
        .env_remove("SERTIBOT_DATABASE")
        .env("RUST_BACKTRACE", "1")
        .stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("the binary runs")
}

fn sertibot(dir: &Path, args: &[&str]) -> Output {
    sertibot_with(dir, args, &[])
}

/// `sertibot run` in `dir` with `env`, its log lines arriving on the receiver.
fn run_service(
    dir: &Path,
    env: &[(&str, &str)],
) -> (std::process::Child, std::sync::mpsc::Receiver<String>) {
    let mut command = Command::new(BIN);
    command
        .arg("run")
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (k, v) in env {
        command.env(k, v);
    }
    let mut child = command.spawn().unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let _ = tx.send(line.unwrap_or_default());
        }
    });
    (child, rx)
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn ok(o: Output) -> String {
    assert!(o.status.success(), "failed: {}\n{}", stdout(&o), stderr(&o));
    stdout(&o)
}

/// Asserts a failure with exactly one sentence, no panic and no backtrace.
fn one_sentence_failure(o: &Output) -> String {
    assert!(!o.status.success(), "expected a failure: {}", stdout(o));
    let err = stderr(o);
    assert!(
        !err.contains("panicked") && !err.contains("backtrace"),
        "{err}"
    );
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 1, "one line expected: {err}");
    // "error: " where the config is English, "galat: " in Indonesian.
    lines[0]
        .strip_prefix("error: ")
        .or_else(|| lines[0].strip_prefix("galat: "))
        .unwrap_or_else(|| panic!("no error: or galat: before {err}"))
        .to_string()
}

/// Asserts a usage error: the sentence, then a hint to --help (clap's in
/// English, one line of our own in Indonesian); exit 2.
fn usage_failure(o: &Output) -> String {
    assert_eq!(o.status.code(), Some(2), "{}", stderr(o));
    let err = stderr(o);
    assert!(!err.contains("panicked"), "{err}");
    let english = err.starts_with("error: ")
        && err
            .trim_end()
            .ends_with("For more information, try '--help'.");
    let indonesian = err.starts_with("galat: ")
        && err.lines().count() == 1
        && err.trim_end().ends_with(" --help");
    assert!(english || indonesian, "{err}");
    let first = err.lines().next().unwrap();
    first
        .strip_prefix("error: ")
        .or_else(|| first.strip_prefix("galat: "))
        .unwrap_or(first)
        .to_string()
}

/// Changes one line of the folder's sertibot.toml.
fn edit_config(dir: &Path, from: &str, to: &str) {
    let path = dir.join("sertibot.toml");
    let config = std::fs::read_to_string(&path).unwrap();
    assert!(config.contains(from), "{from}");
    std::fs::write(&path, config.replace(from, to)).unwrap();
}

/// Points the config at a copy of the embedded procedure with `from` replaced by `to`.
fn use_procedure_with(dir: &Path, from: &str, to: &str) {
    let sop = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/src/sop/penerbitan-sertifikat.toml"
    ))
    .unwrap();
    assert!(sop.contains(from), "{from}");
    std::fs::write(dir.join("sop.toml"), sop.replace(from, to)).unwrap();
    edit_config(
        dir,
        "# file = \"penerbitan-sertifikat.toml\"",
        "file = \"sop.toml\"",
    );
}

/// The `FAILED <what>` line of a failed `sertibot check`.
fn failed_check(out: &Output, what: &str) -> String {
    assert!(!out.status.success());
    let report = stdout(out);
    report
        .lines()
        .find(|l| l.starts_with(&format!("FAILED {what}")))
        .unwrap_or_else(|| panic!("no FAILED {what}: {report}"))
        .to_string()
}

/// A folder with a config that names the bot, and the four roles registered.
/// A folder with a config (in English: these tests read the English
/// sentences; the Indonesian default has its own test) and four members.
fn prepared() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    ok(sertibot(dir.path(), &["init"]));
    edit_config(dir.path(), "language = \"id\"", "language = \"en\"");
    edit_config(
        dir.path(),
        "# bot_username = \"lsp_stmi_bot\"",
        "bot_username = \"lsp_stmi_bot\"",
    );
    for (name, role) in [
        ("Dr. Hendra Wijaya", "ketua-lsp"),
        ("Andi Pratama", "kabag-sertifikasi"),
        ("Siti Rahmawati", "kabag-administrasi"),
        ("Ir. Made Sudarsana", "komite-teknis"),
    ] {
        ok(sertibot(
            dir.path(),
            &["member", "add", "--name", name, "--role", role],
        ));
    }
    dir
}

fn create_batch(dir: &Path) -> String {
    let out = ok(sertibot(
        dir,
        &[
            "batch",
            "create",
            "--scheme",
            "Operator Mesin Produksi",
            "--assessed-on",
            "2026-11-20",
        ],
    ));
    out.lines().last().unwrap().to_string()
}

/// A batch of one participant (Bagus Setiawan), started; its id.
fn started_batch(dir: &Path) -> String {
    let id = create_batch(dir);
    std::fs::write(
        dir.join("peserta.csv"),
        "name,email,registration_no\nBagus Setiawan,bagus@example.com,R-1\n",
    )
    .unwrap();
    ok(sertibot(dir, &["batch", "import", &id, "peserta.csv"]));
    ok(sertibot(dir, &["batch", "start", &id]));
    id
}

#[test]
fn a_fresh_folder_from_init_to_a_started_batch() {
    let dir = tempfile::tempdir().unwrap();
    // The command line speaks Indonesian by default (the example config's language).
    let out = ok(sertibot(dir.path(), &["init"]));
    assert!(out.contains("Berkas sertibot.toml sudah ditulis."), "{out}");
    assert_eq!(
        one_sentence_failure(&sertibot(dir.path(), &["init"])),
        "sertibot.toml sudah ada; pakai --force untuk menimpanya"
    );
    // The rest of this test reads the English sentences.
    edit_config(dir.path(), "language = \"id\"", "language = \"en\"");
    edit_config(
        dir.path(),
        "# bot_username = \"lsp_stmi_bot\"",
        "bot_username = \"lsp_stmi_bot\"",
    );

    let out = ok(sertibot(
        dir.path(),
        &[
            "member",
            "add",
            "--name",
            "Komang Ayu",
            "--role",
            "ketua-lsp",
            "--role",
            "komite-teknis",
            "--email",
            "komang@lsp.example.ac.id",
        ],
    ));
    assert!(
        out.contains("Added member 1: Komang Ayu (Ketua LSP, Komite Teknis)."),
        "{out}"
    );
    assert!(out.contains("valid for 3 days"), "{out}");
    let link = out
        .lines()
        .find(|l| l.starts_with("https://t.me/lsp_stmi_bot?start="))
        .expect("a registration link");
    let token = link.trim_start_matches("https://t.me/lsp_stmi_bot?start=");
    assert!(
        token.len() <= 64 && token.chars().all(|c| c.is_ascii_alphanumeric()),
        "{token}"
    );
    for (name, role) in [
        ("Andi", "kabag-sertifikasi"),
        ("Siti", "kabag-administrasi"),
    ] {
        ok(sertibot(
            dir.path(),
            &["member", "add", "--name", name, "--role", role],
        ));
    }
    let list = ok(sertibot(dir.path(), &["member", "list"]));
    assert!(list.contains("ketua-lsp,komite-teknis"), "{list}");
    assert!(list.contains("link valid until"), "{list}");

    let id = create_batch(dir.path());
    assert_eq!(id, "1");
    std::fs::write(
        dir.path().join("peserta.csv"),
        "name;email;registration_no\nNi Komang Ayu Widyastuti;ayu@example.ac.id;MET-01\nMa'ruf Amin;maruf@example.com;MET-02\n",
    )
    .unwrap();
    let out = ok(sertibot(
        dir.path(),
        &["batch", "import", "1", "peserta.csv"],
    ));
    assert_eq!(out.trim(), "Imported 2 participant(s) into batch 1.");

    let out = ok(sertibot(dir.path(), &["batch", "start", "1"]));
    assert!(out.contains("Started batch 1"), "{out}");
    let status = ok(sertibot(dir.path(), &["batch", "status", "1"]));
    assert!(status.contains("Status: running"), "{status}");
    assert!(
        status.contains("Participants: 2 (K 0, BK 0, no result 2)"),
        "{status}"
    );
    let step1 = status.lines().find(|l| l.starts_with("1 ")).unwrap();
    assert!(step1.contains("active") && step1.contains("WIB"), "{step1}");
    let step11 = status.lines().find(|l| l.starts_with("11 ")).unwrap();
    assert!(step11.contains("waiting"), "{step11}");
    assert!(
        !status.lines().any(|l| l.starts_with("9 ")),
        "there is no step 9"
    );

    let list = ok(sertibot(dir.path(), &["batch", "list"]));
    assert!(
        list.contains("Operator Mesin Produksi") && list.contains("running"),
        "{list}"
    );
    let check = ok(sertibot(dir.path(), &["check"]));
    assert!(
        check.contains("ok     database:") && check.contains("integrity ok"),
        "{check}"
    );
}

#[test]
fn a_bad_participant_file_names_every_bad_row_and_imports_nothing() {
    let dir = prepared();
    let id = create_batch(dir.path());
    let mut csv = b"name,email,registration_no\n".to_vec();
    csv.extend_from_slice(b"Dwi Ayu Lestari Siregar,dwi@example.com,R-1\n"); // 2 fine
    csv.extend_from_slice(b"   ,kosong@example.com,R-2\n"); // 3 empty name
    csv.extend_from_slice(b"Budi,budi-at-example.com,R-3\n"); // 4 invalid email
    csv.extend_from_slice(b"Budi Lagi,DWI@example.com,R-4\n"); // 5 duplicate email
    csv.extend_from_slice(b"Citra,citra@example.com,R-1\n"); // 6 duplicate registration number
    csv.extend_from_slice(b"Dedi,dedi@example.com\n"); // 7 wrong column count
    csv.extend_from_slice(b"Eko \xe9\xe9,eko@example.com,R-7\n"); // 8 bad UTF-8 (Windows-1252)
    // The same rows whether the file ends its lines as Linux or as Excel
    // on Windows does (CRLF).
    let crlf: Vec<u8> = csv
        .iter()
        .flat_map(|b| {
            if *b == b'\n' {
                vec![b'\r', b'\n']
            } else {
                vec![*b]
            }
        })
        .collect();
    for file in [csv, crlf] {
        std::fs::write(dir.path().join("peserta.csv"), &file).unwrap();
        let out = sertibot(dir.path(), &["batch", "import", &id, "peserta.csv"]);
        assert!(!out.status.success());
        let err = stderr(&out);
        let lines: Vec<&str> = err.lines().collect();
        assert_eq!(
            lines,
            vec![
                "peserta.csv: row 3: the name is empty",
                "peserta.csv: row 4: 'budi-at-example.com' is not a valid email address",
                "peserta.csv: row 5: the email DWI@example.com is also on row 2",
                "peserta.csv: row 6: the registration number R-1 is also on row 2",
                "peserta.csv: row 7: expected 3 columns (name, email, registration_no) but found 2",
                "peserta.csv: row 8: the text is not valid UTF-8 (save the file as \"CSV UTF-8\")",
                "error: peserta.csv has 6 bad row(s); nothing was imported",
            ]
        );
    }
    let status = ok(sertibot(dir.path(), &["batch", "status", &id]));
    assert!(status.contains("Participants: 0"), "{status}");
}

#[test]
fn mistakes_get_one_sentence_and_a_non_zero_exit() {
    let dir = prepared();
    assert_eq!(
        one_sentence_failure(&sertibot(dir.path(), &["batch", "status", "42"])),
        "there is no batch 42"
    );
    assert_eq!(
        usage_failure(&sertibot(dir.path(), &["batch", "start", "nol"])),
        "invalid value 'nol' for '<BATCH>': 'nol' is not a batch id (a positive number such as 3)"
    );
    let id = create_batch(dir.path());
    assert_eq!(
        one_sentence_failure(&sertibot(dir.path(), &["batch", "start", &id])),
        "This batch has no participants yet; import the participant list first."
    );
    assert_eq!(
        one_sentence_failure(&sertibot(
            dir.path(),
            &["batch", "import", &id, "missing.csv"]
        )),
        "cannot read missing.csv: no such file or folder"
    );
    assert_eq!(
        usage_failure(&sertibot(
            dir.path(),
            &["batch", "create", "--scheme", "X", "--assessed-on", "20-11"]
        )),
        "invalid value '20-11' for '--assessed-on <YYYY-MM-DD>': '20-11' is not a date: write it as YYYY-MM-DD or DD-MM-YYYY"
    );
    // In the form, but no such day: said as such.
    assert_eq!(
        usage_failure(&sertibot(
            dir.path(),
            &[
                "batch",
                "create",
                "--scheme",
                "X",
                "--assessed-on",
                "2026-02-30"
            ]
        )),
        "invalid value '2026-02-30' for '--assessed-on <YYYY-MM-DD>': '2026-02-30' is not a real date (check the day and the month)"
    );
    // The day-first form staff use in Telegram is read too, and the date
    // understood is said in words.
    let created = ok(sertibot(
        dir.path(),
        &[
            "batch",
            "create",
            "--scheme",
            "X",
            "--assessed-on",
            "05-11-2026",
        ],
    ));
    assert!(created.contains("assessed on 5 November 2026"), "{created}");
    assert_eq!(
        one_sentence_failure(&sertibot(
            dir.path(),
            &[
                "member",
                "add",
                "--name",
                "A",
                "--role",
                "ketua-lsp",
                "--email",
                "a@b"
            ]
        )),
        "'a@b' is not a valid email address"
    );
    assert_eq!(
        usage_failure(&sertibot(
            dir.path(),
            &["member", "add", "--name", "A", "--role", "kepala"]
        )),
        "invalid value 'kepala' for '--role <ROLE>': unknown role 'kepala': use one of ketua-lsp, kabag-sertifikasi, kabag-administrasi, komite-teknis"
    );
    assert_eq!(
        one_sentence_failure(&sertibot(
            dir.path(),
            &["--config", "nowhere.toml", "batch", "list"]
        )),
        "cannot read the config file nowhere.toml: No such file or directory (os error 2)"
    );
    std::fs::write(
        dir.path().join("broken.toml"),
        "[calendar]\nmode = \"kadang\"\n",
    )
    .unwrap();
    assert_eq!(
        one_sentence_failure(&sertibot(
            dir.path(),
            &["--config", "broken.toml", "batch", "list"]
        )),
        "calendar.mode 'kadang' must be \"working\" or \"wall-clock\""
    );
}

#[test]
fn a_folder_with_nothing_set_up_is_told_so_and_nothing_is_created() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        &["batch", "list"][..],
        &["member", "list"],
        &["batch", "status", "1"],
    ] {
        // A variable sertibot does not read is no setup (a test's own,
        // or a typo).
        let out = sertibot_with(dir.path(), args, &[("SERTIBOT_UNRELATED", "1")]);
        assert!(!out.status.success(), "{args:?}");
        let said = String::from_utf8_lossy(&out.stderr).to_string();
        assert!(
            said.contains(
                "tidak ada berkas konfigurasi sertibot.toml maupun basis data sertibot.db"
            ) && said.contains("sertibot init")
                && said.lines().count() == 1,
            "{args:?}: {said}"
        );
    }
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert!(left.is_empty(), "created: {left:?}");
}

#[test]
fn a_reader_that_stops_reading_ends_a_command_quietly() {
    let dir = prepared();
    create_batch(dir.path());
    for args in [
        &["batch", "status", "1"][..],
        &["member", "list"],
        &["check"],
    ] {
        // The reader is gone before the first line is written (`| head -0`).
        let mut child = Command::new(BIN)
            .args(args)
            .current_dir(dir.path())
            .env_remove("TELOXIDE_TOKEN")
            .env("RUST_BACKTRACE", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let said = String::from_utf8_lossy(&out.stderr);
        assert!(!said.contains("panicked"), "{args:?}: {said}");
        assert_ne!(out.status.code(), Some(101), "{args:?}: {said}");
    }
}

#[test]
fn member_list_columns_hold_for_a_long_name() {
    let dir = prepared();
    let long = "Prof. Dr. Ir. Raden Mas Bambang Sutrisno, M.Sc.";
    ok(sertibot(
        dir.path(),
        &["member", "add", "--name", long, "--role", "komite-teknis"],
    ));
    let list = ok(sertibot(dir.path(), &["member", "list"]));
    // Every line's roles column begins at the same place.
    let starts: Vec<usize> = list
        .lines()
        .skip(1)
        .map(|l| {
            l.find("ketua-lsp")
                .or_else(|| l.find("kabag-"))
                .or_else(|| l.find("komite-teknis"))
                .unwrap_or_else(|| panic!("no role in {l}"))
        })
        .collect();
    assert!(starts.windows(2).all(|w| w[0] == w[1]), "{list}");
    assert!(list.contains(long), "{list}");
}

#[test]
fn check_names_a_broken_procedure_file_with_its_line() {
    let dir = prepared();
    use_procedure_with(dir.path(), "after = [6]", "after = [9]");
    let out = sertibot(dir.path(), &["check"]);
    let line = failed_check(&out, "procedure");
    assert!(line.contains("sop.toml, line "), "{line}");
    assert!(
        line.contains("step 7 comes after step 9, which is not listed before it"),
        "{line}"
    );
    assert_eq!(stderr(&out).trim(), "error: 1 check(s) failed");
}

/// A one-request-at-a-time stand-in for the Bot API's getMe.
fn fake_get_me(status: &'static str, body: &'static str) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request_line = String::new();
            reader.read_line(&mut request_line).unwrap();
            let mut length = 0;
            loop {
                let mut header = String::new();
                reader.read_line(&mut header).unwrap();
                if header.trim().is_empty() {
                    break;
                }
                if let Some(v) = header.to_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
            let mut body_in = vec![0; length];
            reader.read_exact(&mut body_in).unwrap();
            record.lock().unwrap().push(request_line.trim().to_string());
            let response = format!(
                "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            stream.write_all(response.as_bytes()).unwrap();
        }
    });
    (url, seen)
}

const TOKEN: &str = "123456:AAE-secret-token-for-tests";

#[test]
fn without_a_username_the_link_asks_telegram_and_never_shows_the_token() {
    let dir = tempfile::tempdir().unwrap();
    let (url, seen) = fake_get_me(
        "200 OK",
        r#"{"ok":true,"result":{"id":777,"is_bot":true,"first_name":"LSP Bot","username":"lsp_fake_bot","can_join_groups":true,"can_read_all_group_messages":false,"supports_inline_queries":false,"can_connect_to_business":false,"has_main_web_app":false}}"#,
    );
    let out = sertibot_with(
        dir.path(),
        &[
            "member",
            "add",
            "--name",
            "Siti",
            "--role",
            "kabag-administrasi",
        ],
        &[("TELOXIDE_TOKEN", TOKEN), ("TELOXIDE_API_URL", &url)],
    );
    let text = ok(out);
    assert!(text.contains("https://t.me/lsp_fake_bot?start="), "{text}");
    let requests = seen.lock().unwrap().clone();
    assert_eq!(requests.len(), 1);
    assert!(
        requests[0].to_lowercase().contains("/getme"),
        "{requests:?}"
    );

    // Telegram refuses the token: the error says so without the token.
    let (url, _) = fake_get_me(
        "401 Unauthorized",
        r#"{"ok":false,"error_code":401,"description":"Unauthorized"}"#,
    );
    let out = sertibot_with(
        dir.path(),
        &[
            "member",
            "add",
            "--name",
            "Andi",
            "--role",
            "kabag-sertifikasi",
        ],
        &[("TELOXIDE_TOKEN", TOKEN), ("TELOXIDE_API_URL", &url)],
    );
    let sentence = one_sentence_failure(&out);
    assert!(
        sentence.starts_with("Nama pengguna bot tidak dapat ditanyakan ke Telegram (getMe):"),
        "{sentence}"
    );
    assert!(!stderr(&out).contains("secret-token") && !stdout(&out).contains("secret-token"));

    // Nobody listens at the API URL: still no token in the message.
    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let out = sertibot_with(
        dir.path(),
        &[
            "member",
            "add",
            "--name",
            "Andi",
            "--role",
            "kabag-sertifikasi",
        ],
        &[("TELOXIDE_TOKEN", TOKEN), ("TELOXIDE_API_URL", &dead)],
    );
    one_sentence_failure(&out);
    assert!(!stderr(&out).contains("secret-token"), "{}", stderr(&out));

    // Neither a username nor a token: the member is not added.
    let out = sertibot(
        dir.path(),
        &["member", "add", "--name", "Budi", "--role", "ketua-lsp"],
    );
    assert!(one_sentence_failure(&out).starts_with("Tautan pendaftaran belum dapat dibuat"));
    let list = ok(sertibot(dir.path(), &["member", "list"]));
    assert!(
        list.contains("Siti") && !list.contains("Andi") && !list.contains("Budi"),
        "{list}"
    );
}

#[test]
fn the_service_stops_cleanly_on_sigterm() {
    let dir = prepared();
    // Nothing listens at the API URL: polling fails (and says so, without
    // the token) until the signal comes.
    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let api = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let (mut child, rx) = run_service(
        dir.path(),
        &[("TELOXIDE_TOKEN", TOKEN), ("TELOXIDE_API_URL", &api)],
    );
    let mut log = Vec::new();
    while !log
        .iter()
        .any(|l: &String| l.contains("cannot reach Telegram"))
    {
        log.push(
            rx.recv_timeout(Duration::from_secs(20))
                .expect("the service starts"),
        );
    }
    let status = stop(&mut child);
    assert!(status.success(), "{status:?}");
    log.extend(rx.iter());
    assert!(log.iter().any(|l| l.contains("shutting down")), "{log:?}");
    assert!(!log.iter().any(|l| l.contains("secret-token")), "{log:?}");
    assert!(
        log.iter().any(|l| l.contains("sertibot is running")),
        "{log:?}"
    );
    assert!(!log.iter().any(|l| l.contains("panicked")), "{log:?}");
}

#[test]
fn status_shows_who_acknowledged_and_who_finished_each_step() {
    use sertibot::app::{App, Via};
    use sertibot::config::Config;
    use sertibot::sop::StepNo;
    use sertibot::workflow::{Actor, Command, Meeting, Staff};

    let dir = prepared();
    let id = started_batch(dir.path());

    // Kabag Administrasi works step 1 (as the bot will do it), through the same database.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let config = Config::load(Some(&dir.path().join("sertibot.toml")), |name| {
            (name == "SERTIBOT_TYPESETTER").then(|| env!("CARGO_BIN_EXE_sertibot").to_string())
        })
        .unwrap();
        let app = App::open(config, std::sync::Arc::new(sertibot::clock::SystemClock))
            .await
            .unwrap();
        let (member, _) = app
            .members()
            .await
            .unwrap()
            .into_iter()
            .find(|(m, _)| m.name == "Siti Rahmawati")
            .unwrap();
        let siti = Actor::Staff(Staff {
            id: member.id,
            name: member.name,
            roles: member.roles,
        });
        let meeting = Meeting {
            starts_at: app.now() + chrono::Duration::days(2),
            place: "Ruang Rapat LSP".into(),
        };
        app.act(
            id.parse().unwrap(),
            &siti,
            &[
                Command::Acknowledge { step: StepNo(1) },
                Command::SetMeeting { meeting },
                Command::MarkDone { step: StepNo(1) },
            ],
            Via::Telegram,
        )
        .await
        .unwrap();
        app.store.close().await;
    });

    let status = ok(sertibot(dir.path(), &["batch", "status", &id]));
    let step1 = status.lines().find(|l| l.starts_with("1 ")).unwrap();
    assert!(step1.contains("done "), "{step1}");
    assert!(
        step1.contains("Siti Rahmawati") && step1.contains("done: Siti Rahmawati"),
        "{step1}"
    );
    let step2 = status.lines().find(|l| l.starts_with("2 ")).unwrap();
    assert!(step2.contains("active"), "{step2}");
    assert!(
        status.contains("Menyiapkan dokumen asesmen dan berita acara asesmen · Kabag Sertifikasi"),
        "{status}"
    );
    assert!(
        status.contains("Meeting: ") && status.contains("Ruang Rapat LSP"),
        "{status}"
    );
}

#[test]
fn simulate_rehearses_the_whole_sop_without_any_service() {
    let dir = tempfile::tempdir().unwrap();
    let out = sertibot(dir.path(), &["simulate", "--out", "surat"]);
    let text = ok(out);
    for step in ["1", "2", "3", "4", "5", "6", "7", "8", "10", "11"] {
        assert!(
            text.contains(&format!("Langkah {step}: ")),
            "step {step} missing"
        );
    }
    assert!(!text.contains("Langkah 9: "));
    assert!(
        text.contains("🔴 Langkah terlambat")
            && text.contains("🔴 Pengingat: langkah masih terlambat")
    );
    assert!(text.contains("[✋ Saya kerjakan] [✅ Selesai]"));
    // Every conversation is shown: the meeting, the K/BK keyboard, the
    // decree, the blank numbers, the handover list with a courier and a
    // representative; and the digests.
    for line in [
        "▸ Siti Rahmawati menekan [📝 Isi waktu & tempat rapat]",
        "Jam mulai rapat (WIB)? Tulis seperti 09.00.",
        "▸ Dr. Hendra Wijaya menekan [📋 Isi hasil K/BK]",
        "▸ Dr. Hendra Wijaya menekan [BK · Bagus Setiawan]",
        "Hasil K/BK · batch #1",
        "▸ Dr. Hendra Wijaya menulis: SK/LSP-STMI/042/XI/2026",
        "Nomor blangko untuk 3 peserta kompeten. Pilih salah satu cara:",
        "▸ Andi Pratama menekan [🤝 Daftar serah terima]",
        "Serah terima · batch #1",
        "▸ Andi Pratama menulis: JNE 0123456789",
        "diterima oleh Siti Aminah sebagai penerima kuasa",
        "Ringkasan pagi · ",
        "Ringkasan mingguan",
        "✅ Batch #1 selesai",
    ] {
        assert!(text.contains(line), "'{line}' missing");
    }
    assert!(
        text.contains("Batch 1 selesai: ") && text.contains("Email ada di surat."),
        "{text}"
    );
    assert!(!text.contains("Rehearsal") && !text.contains("Telegram to "));
    let mail = dir.path().join("surat");
    for p in 1..=5 {
        let result = std::fs::read_to_string(mail.join(format!("b1_result_p{p}.eml"))).unwrap();
        assert!(result.contains(&format!("asesi{p}@example.com")));
        // The first three are K, the last two BK.
        let verdict = if p <= 3 { "K" } else { "BK" };
        assert!(
            mail.join(format!("b1_handover_p{p}_{verdict}.eml"))
                .is_file()
        );
    }
    let results = std::fs::read_dir(&mail)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with("b1_result_")
        })
        .count();
    assert_eq!(results, 5, "one result email per participant");
    // Every kind of document lies beside the emails, the owner's alone.
    assert!(text.contains("16 dokumen (undangan,"), "{text}");
    for kind in [
        "undangan.pdf",
        "daftar-hadir.pdf",
        "berita-acara.pdf",
        "lampiran-sk.pdf",
        "surat-bk-0004.pdf",
        "surat-bk-0005.pdf",
        "permohonan-blangko.pdf",
        "daftar-peserta.xlsx",
        "paket-bnsp.zip",
        "tanda-terima-0001.pdf",
        "daftar-serah-terima.pdf",
        "linimasa.pdf",
    ] {
        let path = mail.join(format!("batch-1-{kind}"));
        let meta = std::fs::metadata(&path).unwrap_or_else(|_| panic!("no {kind}"));
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(meta.permissions().mode() & 0o777, 0o600, "{kind}");
    }
    let minutes = pdf_words(&mail.join("batch-1-berita-acara.pdf"));
    assert!(
        minutes.contains("Bagus Setiawan MET-0004 BK")
            && minutes.contains("Ni Komang Ayu Widyastuti MET-0001 K")
            && minutes.contains("Nomor: 001/LSP/BA/XI/2026"),
        "{minutes}"
    );
    let letter = pdf_words(&mail.join("batch-1-surat-bk-0005.pdf"));
    assert!(
        letter.contains("Yohana Fransiska Manurung") && !letter.contains("Bagus"),
        "{letter}"
    );
    // The units not yet competent, as the plenary recorded them.
    assert!(
        letter.contains("yaitu pada unit kompetensi berikut")
            && letter.contains("1 M.702090.001.01 2 M.702090.014.01"),
        "{letter}"
    );
    assert_eq!(
        usage_failure(&sertibot(dir.path(), &["simulate", "--lang", "jv"])),
        "Nilai 'jv' untuk --lang <BAHASA> tidak dapat dipakai: gunakan id atau en. Lihat: sertibot simulate --help"
    );
    // No participant: said as such, not blamed on a --bk never given.
    // (In Indonesian: no config here, and Indonesian is the default.)
    let none = one_sentence_failure(&sertibot(dir.path(), &["simulate", "--participants", "0"]));
    assert_eq!(
        none,
        "--participants harus antara 1 dan 200, bukan 0: gladi memerlukan setidaknya satu peserta"
    );
    let english = one_sentence_failure(&sertibot(
        dir.path(),
        &["simulate", "--participants", "0", "--lang", "en"],
    ));
    assert!(
        english.contains("--participants must be between 1 and 200, not 0")
            && !english.contains("--bk"),
        "{english}"
    );
}

#[test]
fn simulate_uses_the_operators_config_and_speaks_its_language() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("sertibot.toml"),
        "language = \"en\"\n[lsp]\nname = \"LSP Teknik Nusantara\"\nemail = \"lsp@nusantara.example\"\noffice_hours = \"Monday to Thursday, 09:00-15:00 WIB\"\n",
    )
    .unwrap();
    let text = ok(sertibot(
        dir.path(),
        &[
            "simulate",
            "--participants",
            "2",
            "--bk",
            "1",
            "--out",
            "mail",
        ],
    ));
    assert!(
        text.contains("Rehearsal of SOP Penerbitan Sertifikat: batch 1, 2 participants (1 BK).")
            && text.contains("Telegram to Siti Rahmawati")
            && text.contains("Batch 1 is finished: ")
            && !text.contains("Gladi")
            && !text.contains("menekan"),
        "{text}"
    );
    let handover = std::fs::read_to_string(dir.path().join("mail/b1_handover_p1_K.eml")).unwrap();
    assert!(
        handover.contains("LSP Teknik Nusantara") && handover.contains("Monday to Thursday"),
        "{handover}"
    );
    // The database stays the rehearsal's: the operator's folder has none.
    assert!(!dir.path().join("sertibot.db").exists());
    // --lang overrides the config's language for the transcript.
    let indonesian = ok(sertibot(
        dir.path(),
        &[
            "simulate",
            "--participants",
            "1",
            "--bk",
            "0",
            "--lang",
            "id",
            "--out",
            "mail2",
        ],
    ));
    assert!(
        indonesian.contains("Gladi SOP Penerbitan Sertifikat"),
        "{indonesian}"
    );
}

#[test]
fn an_error_quoting_the_token_and_the_smtp_password_is_logged_without_them() {
    let dir = prepared();
    const PASSWORD: &str = "S3cret-Pass";
    let smtp = format!("smtp://lsp:{PASSWORD}@127.0.0.1:2525");
    // A Bot API whose every answer quotes the request's URL and the SMTP URL.
    let body = format!(
        r#"{{"ok":false,"error_code":500,"description":"Bad Gateway for https://api.telegram.org/bot{TOKEN}/GetUpdates via {smtp}"}}"#
    );
    let (api, _) = fake_get_me(
        "500 Internal Server Error",
        Box::leak(body.into_boxed_str()),
    );
    let (mut child, rx) = run_service(
        dir.path(),
        &[
            ("TELOXIDE_TOKEN", TOKEN),
            ("TELOXIDE_API_URL", &api),
            ("SERTIBOT_SMTP_URL", &smtp),
            ("SERTIBOT_MAIL_FROM", "lsp@example.ac.id"),
            ("RUST_LOG", "debug"),
        ],
    );
    let mut log = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !log.iter().any(|l: &String| l.contains("Bad Gateway")) {
        match rx.recv_timeout(Duration::from_millis(200)) {
            Ok(line) => log.push(line),
            Err(_) => assert!(Instant::now() < deadline, "no error logged: {log:?}"),
        }
    }
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
    log.extend(rx.iter());
    let quoted: Vec<&String> = log.iter().filter(|l| l.contains("Bad Gateway")).collect();
    assert!(quoted.iter().all(|l| l.contains("<hidden>")), "{quoted:?}");
    for line in &log {
        assert!(!line.contains("AAE-secret-token"), "{line}");
        assert!(!line.contains(PASSWORD), "{line}");
    }
}

#[test]
fn sigterm_at_any_moment_of_start_up_stops_the_service_within_ten_seconds() {
    let dir = prepared();
    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let api = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    for round in 0..10u64 {
        let mut child = Command::new(BIN)
            .arg("run")
            .current_dir(dir.path())
            .env("TELOXIDE_TOKEN", TOKEN)
            .env("TELOXIDE_API_URL", &api)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // From just after the signal handlers are set (a signal before that
        // ends any process) to well into the polling retries.
        std::thread::sleep(Duration::from_millis(150 + round * round * 30));
        let sent = Instant::now();
        Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap();
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if sent.elapsed() > Duration::from_secs(10) {
                let _ = child.kill();
                panic!("round {round}: still running 10 s after SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        assert!(status.success(), "round {round}: {status:?}");
    }
}

#[test]
fn hostile_workbooks_are_refused_within_seconds_and_bounded_memory() {
    use support::xlsx::{package, sheet_of};
    let dir = prepared();
    let id = create_batch(dir.path());
    // Cells at A1 and XFD1048576: a library that allocates the used range asks for 512 GB.
    let far = package(
        r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><dimension ref="A1:XFD1048576"/><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>name</t></is></c></row><row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row></sheetData></worksheet>"#,
        None,
    );
    // A zip bomb: a small file that unpacks to 200 MB.
    let rows: &[&[&str]] = &[
        &["name", "email", "registration_no"],
        &["Ayu", "ayu@example.com", "R-1"],
    ];
    let bomb = package(&sheet_of(rows), Some(200 << 20));
    assert!(bomb.len() < 1 << 20, "{}", bomb.len());
    for (file, bytes, says) in [
        ("far.xlsx", far, "the sheet is larger than sertibot reads"),
        ("bomb.xlsx", bomb, "the workbook unpacks to more than 32 MB"),
    ] {
        let path = dir.path().join(file);
        std::fs::write(&path, bytes).unwrap();
        let started = Instant::now();
        // At most 1 GiB of address space: an allocation past it fails the run.
        let out = Command::new("sh")
            .arg("-c")
            .arg("ulimit -v 1048576; exec \"$0\" \"$@\"")
            .arg(BIN)
            .args(["batch", "import", &id])
            .arg(&path)
            .current_dir(dir.path())
            .env_remove("TELOXIDE_TOKEN")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{file}: {:?}",
            started.elapsed()
        );
        let sentence = one_sentence_failure(&out);
        assert!(sentence.contains(says), "{file}: {sentence}");
    }
    let status = ok(sertibot(dir.path(), &["batch", "status", &id]));
    assert!(status.contains("Participants: 0 "), "{status}");
}

fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// Runs the binary with the permissive umask most systems have.
fn sertibot_umask_022(dir: &Path, args: &[&str]) -> Output {
    Command::new("sh")
        .arg("-c")
        .arg("umask 022; exec \"$0\" \"$@\"")
        .arg(BIN)
        .args(args)
        .current_dir(dir)
        .env_remove("TELOXIDE_TOKEN")
        .env_remove("SERTIBOT_SMTP_URL")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

#[test]
fn files_holding_personal_data_are_the_owners_alone_whatever_the_umask() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(sertibot_umask_022(d, &["init"]));
    edit_config(
        d,
        "# bot_username = \"lsp_stmi_bot\"",
        "bot_username = \"lsp_stmi_bot\"",
    );
    assert_eq!(mode(&d.join("sertibot.toml")), 0o600);
    ok(sertibot_umask_022(
        d,
        &[
            "member",
            "add",
            "--name",
            "Siti",
            "--role",
            "kabag-administrasi",
        ],
    ));
    assert_eq!(mode(&d.join("sertibot.db")), 0o600);
    // The email folder and its files (a rehearsal writes every kind).
    ok(sertibot_umask_022(
        d,
        &["simulate", "--out", "rehearsal-mail"],
    ));
    let out = d.join("rehearsal-mail");
    assert_eq!(mode(&out), 0o700);
    let emails: Vec<_> = std::fs::read_dir(&out).unwrap().flatten().collect();
    assert!(!emails.is_empty());
    for email in emails {
        assert_eq!(mode(&email.path()), 0o600, "{}", email.path().display());
    }
    // While a service runs, the write-ahead log and shared memory are private too.
    let mut child = Command::new("sh")
        .arg("-c")
        .arg("umask 022; exec \"$0\" run")
        .arg(BIN)
        .current_dir(d)
        .env("TELOXIDE_TOKEN", TOKEN)
        .env("TELOXIDE_API_URL", "http://127.0.0.1:9")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    // The log appears when the database opens, the lock a moment later: wait for all three.
    let files = ["sertibot.db-wal", "sertibot.db-shm", "sertibot.db.lock"];
    while !files.iter().all(|f| d.join(f).exists()) {
        assert!(Instant::now() < deadline, "no write-ahead log");
        std::thread::sleep(Duration::from_millis(50));
    }
    for file in files {
        assert_eq!(mode(&d.join(file)), 0o600, "{file}");
    }
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();

    // A file made looser by hand: check says so.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(
        d.join("sertibot.toml"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    // (This folder's config is the example's: Indonesian.)
    let report = stdout(&sertibot(d, &["check"]));
    assert!(
        report.contains("PERINGATAN berkas: ")
            && report.contains("sertibot.toml dapat dibaca orang lain (mode 644)"),
        "{report}"
    );
}

#[test]
fn a_second_service_on_the_same_database_is_refused() {
    let dir = prepared();
    let spawn = || {
        Command::new(BIN)
            .arg("run")
            .current_dir(dir.path())
            .env("TELOXIDE_TOKEN", TOKEN)
            .env("TELOXIDE_API_URL", "http://127.0.0.1:9")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let mut first = spawn();
    let stderr = first.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let _ = tx.send(line.unwrap_or_default());
        }
    });
    loop {
        let line = rx
            .recv_timeout(Duration::from_secs(20))
            .expect("the first service starts");
        if line.contains("sertibot is running") {
            break;
        }
    }
    let second = spawn().wait_with_output().unwrap();
    let sentence = one_sentence_failure(&second);
    assert!(
        sentence.starts_with("another sertibot service is already running on the database"),
        "{sentence}"
    );
    // The command line still works beside the service.
    ok(sertibot(dir.path(), &["member", "list"]));
    let _ = Command::new("kill")
        .args(["-TERM", &first.id().to_string()])
        .status();
    assert!(first.wait().unwrap().success());
    // Once it has stopped, a service starts again.
    let mut again = spawn();
    std::thread::sleep(Duration::from_millis(800));
    assert!(again.try_wait().unwrap().is_none(), "the next service runs");
    let _ = Command::new("kill")
        .args(["-TERM", &again.id().to_string()])
        .status();
    assert!(again.wait().unwrap().success());
}

#[test]
fn members_are_deactivated_reactivated_and_given_or_relieved_of_roles() {
    let dir = prepared();
    let d = dir.path();
    ok(sertibot(d, &["member", "deactivate", "4"]));
    let list = ok(sertibot(d, &["member", "list"]));
    assert!(
        list.contains("Ir. Made Sudarsana")
            && list.contains("(deactivated: sertibot member reactivate 4)"),
        "{list}"
    );
    assert_eq!(
        one_sentence_failure(&sertibot(d, &["member", "deactivate", "4"])),
        "member 4 is already deactivated"
    );
    assert_eq!(
        one_sentence_failure(&sertibot(d, &["member", "deactivate", "99"])),
        "there is no member 99"
    );
    ok(sertibot(d, &["member", "reactivate", "4"]));
    ok(sertibot(d, &["member", "role", "add", "4", "ketua-lsp"]));
    let list = ok(sertibot(d, &["member", "list"]));
    assert!(list.contains("ketua-lsp,komite-teknis"), "{list}");
    ok(sertibot(
        d,
        &["member", "role", "remove", "4", "komite-teknis"],
    ));
    assert_eq!(
        one_sentence_failure(&sertibot(
            d,
            &["member", "role", "remove", "4", "ketua-lsp"]
        )),
        "Ir. Made Sudarsana would have no role left; deactivate the member instead"
    );
    let out = sertibot(d, &["member", "role", "add", "4", "lurah"]);
    assert!(!out.status.success() && stderr(&out).contains("unknown role 'lurah'"));
    let audit = sqlite_actions(d);
    for action in [
        "member_deactivated",
        "member_reactivated",
        "member_role_added",
        "member_role_removed",
    ] {
        assert!(audit.contains(&action.to_string()), "{action}: {audit:?}");
    }
}

/// The first column of `sql`'s rows, as text, read from `dir`'s database.
fn sqlite_rows(dir: &Path, sql: &'static str) -> Vec<String> {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        use sqlx::Connection;
        let url = format!("sqlite://{}", dir.join("sertibot.db").display());
        let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
        sqlx::query_scalar(sql).fetch_all(&mut conn).await.unwrap()
    })
}

fn sqlite_actions(dir: &Path) -> Vec<String> {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let store = sertibot::store::Store::open(&dir.join("sertibot.db"))
            .await
            .unwrap();
        let mut conn = store.pool().acquire().await.unwrap();
        sertibot::store::Store::audit_of(&mut conn, None)
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.action)
            .collect()
    })
}

#[test]
fn check_refuses_a_standard_time_past_a_year_and_a_calendar_with_no_working_days() {
    let dir = prepared();
    use_procedure_with(
        dir.path(),
        "standard_time = \"1 minggu\"",
        "standard_time = \"4294967295 minggu\"",
    );
    let out = sertibot(dir.path(), &["check"]);
    let line = failed_check(&out, "procedure");
    assert!(line.contains("longer than a step can take"), "{line}");
    // No batch is made on it either, and nothing panics.
    const CREATE: [&str; 6] = [
        "batch",
        "create",
        "--scheme",
        "Operator",
        "--assessed-on",
        "2026-11-20",
    ];
    let out = sertibot(dir.path(), &CREATE);
    assert!(one_sentence_failure(&out).contains("longer than a step can take"));
    // In an Indonesian config, check and every command say it in Indonesian.
    edit_config(dir.path(), "language = \"en\"", "language = \"id\"");
    let out = sertibot(dir.path(), &["check"]);
    assert!(!out.status.success());
    let report = stdout(&out);
    let line = report
        .lines()
        .find(|l| l.starts_with("GAGAL") && l.contains("sop.toml"))
        .unwrap_or_else(|| panic!("no GAGAL line for the procedure: {report}"));
    assert!(
        line.contains("baris ")
            && line.contains("langkah 6, standard_time: '4294967295 minggu' lebih lama dari waktu yang boleh untuk satu langkah: paling lama setahun (52 minggu)"),
        "{line}"
    );
    assert!(!line.contains("longer"), "{line}");
    let out = sertibot(dir.path(), &CREATE);
    let sentence = one_sentence_failure(&out);
    assert!(
        sentence.contains("lebih lama dari waktu yang boleh"),
        "{sentence}"
    );
    edit_config(dir.path(), "language = \"id\"", "language = \"en\"");

    // A holiday list that covers every day for the next twelve years.
    edit_config(
        dir.path(),
        "file = \"sop.toml\"",
        "# file = \"penerbitan-sertifikat.toml\"",
    );
    let mut holidays = String::from("date,name,kind\n");
    let mut day = chrono::Utc::now().date_naive() - chrono::Duration::days(2);
    for _ in 0..(12 * 366) {
        holidays.push_str(&format!("{day},Libur,libur\n"));
        day = day.succ_opt().unwrap();
    }
    std::fs::write(dir.path().join("libur.csv"), holidays).unwrap();
    edit_config(
        dir.path(),
        "# holidays_file = \"hari-libur.csv\"",
        "holidays_file = \"libur.csv\"",
    );
    let out = sertibot(dir.path(), &["check"]);
    let line = failed_check(&out, "calendar");
    assert!(line.contains("would not fall due within a year"), "{line}");
}

#[test]
fn a_name_with_a_right_to_left_mark_is_refused_at_import_with_its_row() {
    let dir = prepared();
    let id = create_batch(dir.path());
    std::fs::write(
        dir.path().join("peserta.csv"),
        "name,email,registration_no\nAyu,ayu@example.com,R1\n\u{202E}KB Budi,budi@example.com,R2\n",
    )
    .unwrap();
    let out = sertibot(dir.path(), &["batch", "import", &id, "peserta.csv"]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("row 3: the name holds an invisible control character"),
        "{err}"
    );
    let status = ok(sertibot(dir.path(), &["batch", "status", &id]));
    assert!(status.contains("Participants: 0 "), "{status}");
    // A member's name too.
    let out = sertibot(
        dir.path(),
        &[
            "member",
            "add",
            "--name",
            "Rina\u{202E}",
            "--role",
            "komite-teknis",
        ],
    );
    assert!(one_sentence_failure(&out).contains("invisible control character"));
}

#[test]
fn a_database_deleted_under_the_running_service_stops_it_loudly() {
    let dir = prepared();
    let (mut child, rx) = run_service(
        dir.path(),
        &[
            ("TELOXIDE_TOKEN", TOKEN),
            ("TELOXIDE_API_URL", "http://127.0.0.1:9"),
        ],
    );
    loop {
        let line = rx
            .recv_timeout(Duration::from_secs(20))
            .expect("the service starts");
        if line.contains("sertibot is running") {
            break;
        }
    }
    std::fs::remove_file(dir.path().join("sertibot.db")).unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "still running with its database deleted"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(!status.success());
    let log: Vec<String> = rx.iter().collect();
    assert!(
        log.iter()
            .any(|l| l.starts_with("error: the database file")
                && l.contains("was deleted or replaced")),
        "{status:?}: {log:?}"
    );
}

/// The words of a PDF file's text (line breaks and spacing vary).
fn pdf_words(path: &std::path::Path) -> String {
    let bytes = std::fs::read(path).unwrap();
    let text = pdf_extract::extract_text_from_mem(&bytes).expect("a readable PDF");
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn batch_documents_writes_what_a_batch_has_and_check_refuses_a_broken_template() {
    let dir = prepared();
    let d = dir.path();
    let id = create_batch(d);
    // A draft batch has no documents yet: said, and nothing written.
    let none = ok(sertibot(d, &["batch", "documents", &id, "--out", "docs"]));
    assert!(none.contains("has no documents yet"), "{none}");
    assert!(!d.join("docs").exists());
    assert_eq!(
        one_sentence_failure(&sertibot(d, &["batch", "documents", "99"])),
        "there is no batch 99"
    );
    // A template an operator broke is refused with its file and line.
    std::fs::create_dir_all(d.join("templates/documents")).unwrap();
    std::fs::write(
        d.join("templates/documents/surat-bk.typ"),
        "#import \"/kop.typ\": *\n#let d = data\n#show: surat.with(d)\nYth. #d.participant.nama\n",
    )
    .unwrap();
    edit_config(d, "[templates]", "[templates]\ndir = \"templates\"");
    let check = sertibot(d, &["check"]);
    assert!(!check.status.success());
    let report = String::from_utf8_lossy(&check.stdout);
    assert!(
        report.contains("FAILED documents: document templates: surat-bk.typ, line 4:")
            && report.contains("nama"),
        "{report}"
    );
}

#[test]
fn simulate_refuses_a_link_planted_in_its_folder_and_leaves_the_folders_mode() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let shared = dir.path().join("bersama");
    std::fs::create_dir(&shared).unwrap();
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o1777)).unwrap();
    let victim = dir.path().join("victim.conf");
    std::fs::write(&victim, "secret = 1\n").unwrap();
    std::fs::set_permissions(&victim, std::fs::Permissions::from_mode(0o644)).unwrap();
    std::os::unix::fs::symlink(&victim, shared.join("batch-1-undangan.pdf")).unwrap();
    let out = sertibot(
        dir.path(),
        &[
            "simulate",
            "--participants",
            "1",
            "--bk",
            "0",
            "--out",
            "bersama",
        ],
    );
    assert!(!out.status.success());
    assert!(stderr(&out).contains("symbolic link"), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "secret = 1\n");
    assert_eq!(mode(&victim), 0o644);
    let folder = std::fs::metadata(&shared).unwrap().permissions().mode() & 0o7777;
    assert_eq!(folder, 0o1777, "the folder keeps its sticky bit and mode");
}

/// A template that never ends (a loop of ten billion turns) and one that
/// asks for gigabytes, each in the operator's `undangan.typ`.
const LOOPING: &str = "#for i in range(100000) { for j in range(100000) { } }\n";
const HUNGRY: &str = "#let a = range(400000000)\n#a.len()\n";

/// A folder whose config takes its templates from `templates/` and
/// typesets with `limits` (lines added to `[documents]`), with `undangan` as
/// the operator's `undangan.typ`.
fn with_template(undangan: &str, limits: &str) -> tempfile::TempDir {
    let dir = prepared();
    let d = dir.path();
    std::fs::create_dir_all(d.join("templates/documents")).unwrap();
    std::fs::write(d.join("templates/documents/undangan.typ"), undangan).unwrap();
    edit_config(d, "[templates]", "[templates]\ndir = \"templates\"");
    edit_config(d, "[documents]\n", &format!("[documents]\n{limits}\n"));
    dir
}

#[test]
fn check_refuses_a_template_that_loops_or_asks_for_too_much_memory_by_name_and_limit() {
    let looping = with_template(LOOPING, "typeset_seconds = 2");
    let started = Instant::now();
    let out = sertibot(looping.path(), &["check"]);
    assert!(!out.status.success());
    let report = stdout(&out);
    assert!(
        report.contains(
            "undangan.typ: typesetting took longer than 2 s, the limit (documents.typeset_seconds)"
        ),
        "{report}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "check took {:?}",
        started.elapsed()
    );

    let hungry = with_template(HUNGRY, "typeset_memory_mib = 512");
    let out = sertibot(hungry.path(), &["check"]);
    assert!(!out.status.success());
    let report = stdout(&out);
    assert!(
        report.contains("undangan.typ: typesetting needed more than 512 MiB of memory, the limit (documents.typeset_memory_mib)"),
        "{report}"
    );
    // A limit out of range is named.
    let out = sertibot(with_template("", "typeset_seconds = 0").path(), &["check"]);
    assert!(
        stderr(&out).contains("documents.typeset_seconds is 0"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_logo_with_a_huge_colour_profile_or_metadata_is_refused_before_decoding() {
    let dir = prepared();
    let d = dir.path();
    // The tiny logo with a 200 KiB colour profile chunk after its header.
    let chunk = |kind: &[u8], body: &[u8]| {
        let mut c = (body.len() as u32).to_be_bytes().to_vec();
        c.extend_from_slice(kind);
        c.extend_from_slice(body);
        c.extend_from_slice(&[0, 0, 0, 0]);
        c
    };
    let with = |kind: &[u8], size: usize| {
        let mut png = TINY_PNG[..33].to_vec();
        png.extend(chunk(kind, &vec![b'x'; size]));
        png.extend_from_slice(&TINY_PNG[33..]);
        png
    };
    std::fs::write(d.join("logo.png"), with(b"iCCP", 200 * 1024)).unwrap();
    edit_config(d, "# logo = \"logo.png\"", "logo = \"logo.png\"");
    let started = Instant::now();
    let out = sertibot(d, &["check"]);
    assert!(!out.status.success());
    let said = format!("{}{}", stdout(&out), stderr(&out));
    assert!(
        said.contains("logo.png")
            && said.contains("colour profile is 200 KiB, more than the 64 KiB allowed"),
        "{said}"
    );
    assert!(started.elapsed() < Duration::from_secs(10));
    std::fs::write(d.join("logo.png"), with(b"zTXt", 100 * 1024)).unwrap();
    let out = sertibot(d, &["check"]);
    let said = format!("{}{}", stdout(&out), stderr(&out));
    assert!(said.contains("100 KiB of metadata"), "{said}");
    // The tiny logo itself is fine.
    std::fs::write(d.join("logo.png"), TINY_PNG).unwrap();
    let said = stdout(&sertibot(d, &["check"]));
    assert!(!said.contains("logo.png:"), "{said}");
}

/// A 2×2 PNG, for the letterhead's logo.
const TINY_PNG: &[u8] = b"\x89\x50\x4e\x47\x0d\x0a\x1a\x0a\x00\x00\x00\x0d\x49\x48\x44\x52\x00\x00\x00\x02\x00\x00\x00\x02\x08\x02\x00\x00\x00\xfd\xd4\x9a\x73\x00\x00\x00\x0e\x49\x44\x41\x54\x78\x9c\x63\xf8\xcf\x00\x04\x30\x02\x00\x17\xf6\x02\xfe\x48\xe4\x2e\x07\x00\x00\x00\x00\x49\x45\x4e\x44\xae\x42\x60\x82";

#[test]
fn check_warns_about_settings_left_at_the_example_and_strict_fails_on_them() {
    let dir = prepared();
    let report = ok(sertibot(dir.path(), &["check"]));
    for warning in [
        "WARN   lsp.name: \"Nama LSP Anda\" is the example's",
        "WARN   lsp.email is not set",
        "WARN   mail.from is not set",
        "WARN   telegram: no bot token",
        "WARN   the letterhead of the documents lacks lsp.license_no, lsp.address, lsp.phone, lsp.website, lsp.city, lsp.logo",
    ] {
        assert!(report.contains(warning), "{warning} in {report}");
    }
    assert!(
        report.contains("ok     documents: 11 kinds, embedded templates; no logo"),
        "{report}"
    );
    let strict = sertibot(dir.path(), &["check", "--strict"]);
    let err = one_sentence_failure(&strict);
    assert!(err.contains("5 warning(s)"), "{err}");

    // A real LSP passes, whatever its name: the LSP whose SOP this is too
    // (its name once was the example's, and was warned about).
    edit_config(
        dir.path(),
        "name = \"Nama LSP Anda\"",
        "name = \"LSP P1 Politeknik STMI Jakarta\"\nemail = \"lsp@stmi.example.ac.id\"",
    );
    edit_config(
        dir.path(),
        "# from = \"Nama LSP Anda <lsp@example.ac.id>\"",
        "from = \"LSP P1 Politeknik STMI Jakarta <lsp@stmi.example.ac.id>\"",
    );
    edit_config(
        dir.path(),
        "email = \"lsp@stmi.example.ac.id\"",
        "email = \"lsp@stmi.example.ac.id\"\naddress = \"Jl. Letjen Suprapto No. 26, Jakarta Pusat\"\nphone = \"021-555\"\nwebsite = \"lsp.stmi.example.ac.id\"\ncity = \"Jakarta\"\nlogo = \"logo.png\"\nlicense_no = \"KEP.1234/BNSP/XII/2026\"",
    );
    std::fs::write(dir.path().join("logo.png"), TINY_PNG).unwrap();
    let out = sertibot_with(
        dir.path(),
        &["check", "--strict"],
        &[("TELOXIDE_TOKEN", "123456:TEST-token")],
    );
    let report = ok(out);
    assert!(!report.contains("WARN"), "{report}");
}

#[test]
fn the_command_line_corrects_participants_results_and_staff_with_a_reason() {
    let dir = prepared();
    let d = dir.path();
    let id = create_batch(d);
    std::fs::write(
        d.join("peserta.csv"),
        "name,email,registration_no\nDwi Ayu,dwi@example.com,R-1\nBagus,bagus@exmaple.com,R-2\nCitra,citra@example.com,R-3\n",
    )
    .unwrap();
    ok(sertibot(d, &["batch", "import", &id, "peserta.csv"]));

    // Before the start: a typo in an email, and a participant removed.
    let out = ok(sertibot(
        d,
        &[
            "participant",
            "correct",
            &id,
            "R-2",
            "--email",
            "bagus@example.com",
            "--reason",
            "salah ketik domain",
        ],
    ));
    assert!(out.contains("Corrected Bagus in batch 1: email."), "{out}");
    assert_eq!(
        one_sentence_failure(&sertibot(
            d,
            &[
                "participant",
                "correct",
                &id,
                "R-2",
                "--email",
                "dwi@example.com",
                "--reason",
                "x"
            ],
        )),
        "another participant of this batch already has the email address 'dwi@example.com'"
    );
    assert_eq!(
        one_sentence_failure(&sertibot(
            d,
            &[
                "participant",
                "correct",
                &id,
                "R-9",
                "--name",
                "X",
                "--reason",
                "x"
            ],
        )),
        "batch 1 has no participant 'R-9' (give a registration number, an email address, or the number on the participant list)"
    );
    assert_eq!(
        one_sentence_failure(&sertibot(
            d,
            &["participant", "correct", &id, "R-2", "--reason", "x"]
        )),
        "nothing to correct: give a new name, email or registration number"
    );
    let out = ok(sertibot(
        d,
        &[
            "participant",
            "remove",
            &id,
            "3",
            "--reason",
            "mengundurkan diri sebelum pleno",
        ],
    ));
    assert!(out.contains("Removed Citra from batch 1."), "{out}");
    ok(sertibot(d, &["batch", "start", &id]));
    assert_eq!(
        one_sentence_failure(&sertibot(
            d,
            &["participant", "remove", &id, "R-1", "--reason", "x"]
        )),
        "batch 1 has started; a participant can be removed only before the start"
    );

    // A result cannot be corrected before one is recorded, and needs an active member.
    assert_eq!(
        one_sentence_failure(&sertibot(
            d,
            &[
                "batch",
                "correct-result",
                &id,
                "R-1",
                "BK",
                "--reason",
                "x",
                "--by",
                "1"
            ],
        )),
        "Step 3 cannot be done yet: it needs “Dokumen asesmen dan berita acara asesmen” from step 2."
    );
    assert_eq!(
        one_sentence_failure(&sertibot(
            d,
            &[
                "batch",
                "correct-result",
                &id,
                "R-1",
                "BK",
                "--reason",
                "x",
                "--by",
                "99"
            ],
        )),
        "there is no member 99"
    );

    // A second member with the same name is added, with a warning.
    let out = ok(sertibot(
        d,
        &[
            "member",
            "add",
            "--name",
            "Andi Pratama",
            "--role",
            "komite-teknis",
        ],
    ));
    assert!(out.contains("Warning: member 2 has the same name"), "{out}");
    let out = ok(sertibot(
        d,
        &["member", "email", "2", "andi@lsp.example.ac.id"],
    ));
    assert!(
        out.contains("Andi Pratama's email address is changed."),
        "{out}"
    );
    // A NIP, printed where the member signs: given at `add` or later; a
    // text that is no NIP adds nobody.
    let before = ok(sertibot(d, &["member", "list"]));
    let bad = sertibot(
        d,
        &[
            "member",
            "add",
            "--name",
            "Rina",
            "--role",
            "komite-teknis",
            "--nip",
            "19650101;DROP",
        ],
    );
    let err = one_sentence_failure(&bad);
    assert!(err.contains("'19650101;DROP' is not a NIP"), "{err}");
    assert_eq!(ok(sertibot(d, &["member", "list"])), before);
    let err = one_sentence_failure(&sertibot(d, &["member", "nip", "2"]));
    assert_eq!(err, "give the NIP, or --clear to remove it");
    let out = ok(sertibot(
        d,
        &["member", "nip", "2", "19800202 200501 1 003"],
    ));
    assert!(out.contains("Andi Pratama's NIP is kept"), "{out}");
    let list = ok(sertibot(d, &["member", "list"]));
    assert!(
        list.lines()
            .any(|l| l.contains("Andi Pratama") && l.contains("19800202 200501 1 003")),
        "{list}"
    );
    let out = ok(sertibot(d, &["member", "nip", "2", "--clear"]));
    assert!(out.contains("Andi Pratama now has no NIP."), "{out}");

    // Cancelled, with a reason; nothing more is accepted.
    let out = ok(sertibot(
        d,
        &["batch", "cancel", &id, "--reason", "jadwal pleno dipindah"],
    ));
    assert!(out.contains("Cancelled batch 1"), "{out}");
    let list = ok(sertibot(d, &["batch", "list"]));
    assert!(list.contains("cancelled"), "{list}");
    assert_eq!(
        one_sentence_failure(&sertibot(d, &["batch", "start", &id])),
        "This batch was cancelled; nothing more is recorded in it."
    );
}

#[test]
fn the_command_line_speaks_the_configured_language_indonesian_by_default() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(sertibot(d, &["init"]));
    // The example's comments are Indonesian; `--lang en` writes them in English.
    let written = std::fs::read_to_string(d.join("sertibot.toml")).unwrap();
    assert!(
        written.starts_with("# Konfigurasi sertibot.") && written.contains("language = \"id\""),
        "{written}"
    );
    let english = tempfile::tempdir().unwrap();
    ok(sertibot(english.path(), &["init", "--lang", "en"]));
    let written = std::fs::read_to_string(english.path().join("sertibot.toml")).unwrap();
    assert!(
        written.starts_with("# sertibot configuration.") && written.contains("language = \"en\""),
        "{written}"
    );
    edit_config(
        d,
        "# bot_username = \"lsp_stmi_bot\"",
        "bot_username = \"lsp_stmi_bot\"",
    );
    let out = ok(sertibot(
        d,
        &[
            "member",
            "add",
            "--name",
            "Dr. Hendra Wijaya",
            "--role",
            "ketua-lsp",
        ],
    ));
    assert!(
        out.contains("Anggota 1 ditambahkan: Dr. Hendra Wijaya (Ketua LSP).")
            && out.contains("Tautan pendaftaran, sekali pakai, berlaku 3 hari"),
        "{out}"
    );
    let list = ok(sertibot(d, &["member", "list"]));
    assert!(
        list.starts_with("ID") && list.contains("NAMA") && list.contains("PERAN"),
        "{list}"
    );
    // Help and clap's own usage errors too.
    let help = ok(sertibot(d, &["batch", "import", "--help"]));
    assert!(
        help.contains("Pemakaian: sertibot batch import [PILIHAN] <BATCH> <BERKAS>")
            && help.contains("Berkas CSV (UTF-8)")
            && !help.contains("Usage")
            && !help.contains("Print help"),
        "{help}"
    );
    assert_eq!(
        usage_failure(&sertibot(d, &["batch", "status", "--bogus"])),
        "Pilihan --bogus tidak dikenal. Lihat: sertibot batch status --help"
    );
    // Where the config says English, the help is English.
    let english = prepared();
    let help = ok(sertibot(english.path(), &["batch", "import", "--help"]));
    assert!(help.contains("Usage: sertibot batch import"), "{help}");
    let out = ok(sertibot(
        d,
        &[
            "batch",
            "create",
            "--scheme",
            "Juru Las",
            "--assessed-on",
            "20-11-2026",
        ],
    ));
    assert!(
        out.contains("Batch 1 dibuat (Juru Las, asesmen 20 November 2026).")
            && out.contains("Selanjutnya: sertibot batch import 1 peserta.csv"),
        "{out}"
    );
    let status = ok(sertibot(d, &["batch", "status", "1"]));
    assert!(
        status.contains("Status: draf · prosedur Penerbitan Sertifikat")
            && status.contains("Peserta: 0 (K 0, BK 0, belum ada hasil 0)")
            && status.contains("LANGKAH")
            && status.contains("menunggu"),
        "{status}"
    );
    // Mistakes are one Indonesian sentence too.
    assert_eq!(
        one_sentence_failure(&sertibot(d, &["batch", "status", "9"])),
        "Tidak ada batch 9."
    );
    assert_eq!(
        one_sentence_failure(&sertibot(d, &["member", "deactivate", "7"])),
        "Tidak ada anggota bernomor 7."
    );
    let check = stdout(&sertibot(d, &["check"]));
    assert!(
        check.contains("ok         prosedur: Penerbitan Sertifikat")
            && check.contains("PERINGATAN lsp.name:"),
        "{check}"
    );
    // With language = "en" it speaks English.
    edit_config(d, "language = \"id\"", "language = \"en\"");
    let status = ok(sertibot(d, &["batch", "status", "1"]));
    assert!(status.contains("Status: draft · procedure"), "{status}");
}

/// A copy of `dir`'s config and database in a new folder, with `sql` run
/// directly on the copy's database file (its triggers dropped first).
/// A copy of `dir` changed by `sql` with the log's protection dropped and
/// put back as sertibot's migrations define it: what a careful forger does.
fn tampered(dir: &Path, sql: &str) -> tempfile::TempDir {
    planted(
        dir,
        &format!(
            "DROP TRIGGER audit_log_append_only_update;
             DROP TRIGGER audit_log_append_only_delete;
             {sql};
             CREATE TRIGGER IF NOT EXISTS audit_log_append_only_update BEFORE UPDATE ON audit_log
             WHEN OLD.hash IS NOT NULL
                 OR OLD.id > (SELECT IFNULL(MAX(upto), 0) FROM audit_chain_legacy)
             BEGIN
                 SELECT RAISE(ABORT, 'the audit log is append-only');
             END;
             CREATE TRIGGER IF NOT EXISTS audit_log_append_only_delete BEFORE DELETE ON audit_log
             BEGIN
                 SELECT RAISE(ABORT, 'the audit log is append-only');
             END;"
        ),
    )
}

#[test]
fn audit_verify_names_the_row_edited_deleted_inserted_or_moved_in_the_file() {
    let dir = prepared();
    create_batch(dir.path());
    let sound = ok(sertibot(dir.path(), &["audit", "verify"]));
    assert!(
        sound.starts_with("The audit log's chain is sound: 5 rows, head row 5 "),
        "{sound}"
    );
    let head = sound
        .trim_end()
        .trim_end_matches('.')
        .rsplit(' ')
        .next()
        .unwrap()
        .to_string();
    assert_eq!(head.len(), 64, "{sound}");
    ok(sertibot(dir.path(), &["audit", "verify", "--head", &head]));

    let cases = [
        (
            "UPDATE audit_log SET detail = '{\"name\":\"Orang Lain\"}' WHERE id = 3",
            "row 3 was changed, its seal does not match its fields",
        ),
        (
            "DELETE FROM audit_log WHERE id = 4",
            "rows 4 to 4 were deleted, row 5 follows row 3",
        ),
        (
            "INSERT INTO audit_log (id, at, channel, actor, batch_id, action, detail, prev_hash, hash)
             SELECT 6, at, channel, actor, batch_id, 'decree_recorded', '{}', prev_hash, hash
             FROM audit_log WHERE id = 5",
            "row 6 was inserted, it does not follow row 5",
        ),
        (
            "UPDATE audit_log SET id = -4 WHERE id = 4;
             UPDATE audit_log SET id = 4 WHERE id = 5;
             UPDATE audit_log SET id = 5 WHERE id = -4",
            "row 4 was moved, it was written as row 5",
        ),
    ];
    for (sql, said) in cases {
        let copy = tampered(dir.path(), sql);
        let failure = one_sentence_failure(&sertibot(copy.path(), &["audit", "verify"]));
        assert!(failure.contains(said), "{sql}: {failure}");
        let checked = sertibot(copy.path(), &["check"]);
        assert!(!checked.status.success(), "check passed a tampered log");
        assert!(stdout(&checked).contains(said), "{}", stdout(&checked));
    }
    // A row added without a seal does not stop the records: the next
    // change is recorded after it, and verify names the row.
    let unsealed = tampered(
        dir.path(),
        "INSERT INTO audit_log (id, at, channel, actor, action, detail)
         VALUES (6, 0, 'cli', 'operator', 'decree_recorded', '{}')",
    );
    create_batch(unsealed.path());
    let failure = one_sentence_failure(&sertibot(unsealed.path(), &["audit", "verify"]));
    assert!(
        failure.contains("row 6 has no seal, it was added outside sertibot"),
        "{failure}"
    );

    // The service starts on a broken chain, says so loudly, and tells Ketua LSP.
    let broken = tampered(
        dir.path(),
        "UPDATE audit_log SET action = 'forged' WHERE id = 2",
    );
    let (mut child, rx) = run_service(
        broken.path(),
        &[
            ("TELOXIDE_TOKEN", TOKEN),
            ("TELOXIDE_API_URL", "http://127.0.0.1:9"),
        ],
    );
    let log = wait_for_line(&rx, "THE AUDIT LOG IS BROKEN");
    assert!(log.last().unwrap().contains("row=2"), "{log:?}");
    stop(&mut child);
    let told: Vec<String> = sqlite_rows(
        broken.path(),
        "SELECT o.context FROM outbox o JOIN member_roles r ON r.member_id = o.member_id
         WHERE o.template = 'audit_broken' AND r.role = 'ketua-lsp'",
    );
    assert_eq!(told.len(), 1, "{told:?}");
    assert!(
        told[0].contains("\"kind\":\"edited\"") && told[0].contains("\"row\":2"),
        "{}",
        told[0]
    );

    // Rows cut off the end leave a sound but shorter chain: the head an
    // export recorded before is no longer in it.
    let cut = tampered(dir.path(), "DELETE FROM audit_log WHERE id >= 4");
    ok(sertibot(cut.path(), &["audit", "verify"]));
    let failure =
        one_sentence_failure(&sertibot(cut.path(), &["audit", "verify", "--head", &head]));
    assert!(failure.contains("is not in the audit log"), "{failure}");

    // A copy of a database from before the chain restores, and its rows
    // are sealed, in order, when it is next opened.
    let older = tampered(
        dir.path(),
        "ALTER TABLE audit_log DROP COLUMN prev_hash;
         ALTER TABLE audit_log DROP COLUMN hash;
         ALTER TABLE participants DROP COLUMN erased_at;
         ALTER TABLE participants DROP COLUMN units_bk;
         ALTER TABLE members DROP COLUMN nip;
         ALTER TABLE outbox DROP COLUMN claim_number;
         DROP INDEX inbox_by_chat;
         ALTER TABLE inbox DROP COLUMN chat_id;
         DROP TABLE participant_former;
         DROP TABLE audit_chain_legacy;
         DROP TABLE attendance;
         DELETE FROM _sqlx_migrations WHERE version >= 17;
         CREATE TRIGGER audit_log_append_only_update BEFORE UPDATE ON audit_log
         BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
         CREATE TRIGGER audit_log_append_only_delete BEFORE DELETE ON audit_log
         BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;",
    );
    std::fs::rename(
        older.path().join("sertibot.db"),
        older.path().join("lama.db"),
    )
    .unwrap();
    let restored = ok(sertibot(older.path(), &["restore", "lama.db"]));
    assert!(
        restored.contains("5 audit rows from a version before the audit chain"),
        "{restored}"
    );
    // Verifying reads only: the rows are sealed by the next command that
    // opens the database to work on it.
    assert_eq!(
        ok(sertibot(older.path(), &["audit", "verify"])),
        "The audit log has 5 rows from a version before the audit chain; they are sealed when the service next opens the database.\n"
    );
    ok(sertibot(older.path(), &["batch", "list"]));
    assert_eq!(
        ok(sertibot(older.path(), &["audit", "verify"])),
        sound,
        "the same rows sealed the same way"
    );
}

/// A copy of `dir`'s config and database with `sql` run on it as it is.
fn planted(dir: &Path, sql: &str) -> tempfile::TempDir {
    let copy = tempfile::tempdir().unwrap();
    for file in ["sertibot.toml", "sertibot.db"] {
        std::fs::copy(dir.join(file), copy.path().join(file)).unwrap();
    }
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        use sqlx::Connection;
        let url = format!("sqlite://{}", copy.path().join("sertibot.db").display());
        let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string()))
            .execute(&mut conn)
            .await
            .unwrap();
        conn.close().await.unwrap();
    });
    copy
}

#[test]
fn a_backup_or_database_carrying_objects_sertibot_does_not_make_is_refused_by_name() {
    let dir = prepared();
    started_batch(dir.path());
    let before = ok(sertibot(dir.path(), &["batch", "list"]));
    // A backup that would copy each participant's NIK aside and send
    // every email to its author once restored.
    let hostile = planted(
        dir.path(),
        "CREATE TABLE loot (name TEXT, nik TEXT);
         CREATE TRIGGER keep_a_copy AFTER INSERT ON participants
         BEGIN INSERT INTO loot VALUES (NEW.name, NEW.nik); END;
         CREATE TRIGGER redirect AFTER INSERT ON outbox WHEN NEW.channel = 'email'
         BEGIN UPDATE outbox SET address = 'attacker@example.net' WHERE id = NEW.id; END;",
    );
    std::fs::copy(
        hostile.path().join("sertibot.db"),
        dir.path().join("kiriman.db"),
    )
    .unwrap();
    let refused = one_sentence_failure(&sertibot(dir.path(), &["restore", "kiriman.db"]));
    assert!(
        refused.starts_with("kiriman.db is not a backup of sertibot's own database: it holds a ")
            && refused.ends_with("Nothing was restored."),
        "{refused}"
    );
    assert!(
        [
            "table 'loot'",
            "trigger 'keep_a_copy'",
            "trigger 'redirect'"
        ]
        .iter()
        .any(|named| refused.contains(named)),
        "{refused}"
    );
    // Nothing changed: the same database, nothing kept aside.
    assert_eq!(ok(sertibot(dir.path(), &["batch", "list"])), before);
    let kept_aside = std::fs::read_dir(dir.path())
        .unwrap()
        .filter(|e| {
            let name = e.as_ref().unwrap().file_name();
            name.to_string_lossy().contains(".replaced-")
        })
        .count();
    assert_eq!(kept_aside, 0);

    // A changed definition of sertibot's own object is refused too.
    let redefined = planted(
        dir.path(),
        "DROP TRIGGER telegram_queue_join;
         CREATE TRIGGER telegram_queue_join AFTER INSERT ON outbox
         BEGIN UPDATE outbox SET address = 'attacker@example.net'; END;",
    );
    std::fs::copy(
        redefined.path().join("sertibot.db"),
        dir.path().join("ubah.db"),
    )
    .unwrap();
    let refused = one_sentence_failure(&sertibot(dir.path(), &["restore", "ubah.db"]));
    assert!(
        refused.contains("its trigger 'telegram_queue_join' is not defined as sertibot defines it"),
        "{refused}"
    );

    // Found in place at start-up: nothing runs on it, the service included.
    let in_place = one_sentence_failure(&sertibot(hostile.path(), &["batch", "list"]));
    assert!(
        in_place.contains("is not sertibot's own: it holds a "),
        "{in_place}"
    );
    let service = sertibot_with(
        hostile.path(),
        &["run"],
        &[
            ("TELOXIDE_TOKEN", TOKEN),
            ("TELOXIDE_API_URL", "http://127.0.0.1:9"),
        ],
    );
    assert!(!service.status.success());
    assert!(
        stderr(&service).contains("is not sertibot's own"),
        "{}",
        stderr(&service)
    );
    let checked = sertibot(hostile.path(), &["check"]);
    assert!(!checked.status.success());
    assert!(
        stdout(&checked).contains("The database is not as sertibot made it: it holds a "),
        "{}",
        stdout(&checked)
    );
}

#[test]
fn audit_verify_reads_only_and_reports_a_dropped_protection_or_a_planted_legacy_mark() {
    let dir = prepared();
    create_batch(dir.path());
    // The protection dropped, nothing else changed.
    let unprotected = planted(dir.path(), "DROP TRIGGER audit_log_append_only_delete");
    let failure = one_sentence_failure(&sertibot(unprotected.path(), &["audit", "verify"]));
    assert!(
        failure.contains("its trigger 'audit_log_append_only_delete' is missing (the audit log's protection was dropped)"),
        "{failure}"
    );
    let checked = sertibot(unprotected.path(), &["check"]);
    assert!(!checked.status.success());
    assert!(stdout(&checked).contains("audit_log_append_only_delete"));

    // A planted legacy mark and a forged row without its seal: verify
    // names the row and does not seal it, however often it runs, and
    // neither does the next command that opens the database.
    let laundered = tampered(
        dir.path(),
        "INSERT INTO audit_chain_legacy VALUES (1000);
         UPDATE audit_log SET detail = '{\"forged\":true}', prev_hash = NULL, hash = NULL WHERE id = 3",
    );
    let db = laundered.path().join("sertibot.db");
    let bytes_before = std::fs::read(&db).unwrap();
    for _ in 0..2 {
        let failure = one_sentence_failure(&sertibot(laundered.path(), &["audit", "verify"]));
        assert!(
            failure.contains("The audit log is broken at row 3"),
            "{failure}"
        );
    }
    assert!(
        std::fs::read(&db).unwrap() == bytes_before,
        "verify wrote to the database"
    );
    ok(sertibot(laundered.path(), &["batch", "list"]));
    let failure = one_sentence_failure(&sertibot(laundered.path(), &["audit", "verify"]));
    assert!(
        failure.contains("The audit log is broken at row 3"),
        "{failure}"
    );
}

/// Waits up to 20 s for a log line containing `text`.
fn wait_for_line(rx: &std::sync::mpsc::Receiver<String>, text: &str) -> Vec<String> {
    let mut log = Vec::new();
    while !log.iter().any(|l: &String| l.contains(text)) {
        log.push(
            rx.recv_timeout(Duration::from_secs(20))
                .unwrap_or_else(|_| panic!("no line with {text:?}: {log:?}")),
        );
    }
    log
}

/// SIGTERM, and the exit within 10 s: its status.
fn stop(child: &mut std::process::Child) -> std::process::ExitStatus {
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(
            Instant::now() < deadline,
            "still running 10 s after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_backup_taken_while_a_batch_runs_passes_its_checks_and_restores() {
    let dir = prepared();
    started_batch(dir.path());
    let (mut child, rx) = run_service(
        dir.path(),
        &[
            ("TELOXIDE_TOKEN", TOKEN),
            ("TELOXIDE_API_URL", "http://127.0.0.1:9"),
        ],
    );
    wait_for_line(&rx, "the audit log's chain is sound");
    std::fs::create_dir(dir.path().join("copies")).unwrap();
    let made = ok(sertibot(dir.path(), &["backup", "copies/running.db"]));
    assert!(
        made.starts_with("Backed up to copies/running.db (")
            && made.contains("integrity ok; audit chain sound, 8 rows"),
        "{made}"
    );
    assert_eq!(mode(&dir.path().join("copies/running.db")), 0o600);
    // Not over an existing file, and not while the service runs.
    let again = one_sentence_failure(&sertibot(dir.path(), &["backup", "copies/running.db"]));
    assert!(again.contains("already exists"), "{again}");
    let refused = one_sentence_failure(&sertibot(dir.path(), &["restore", "copies/running.db"]));
    assert!(
        refused.starts_with("The service is running on ")
            && refused.contains("stop it before restoring"),
        "{refused}"
    );
    stop(&mut child);

    // A second batch after the backup; the restore takes the database back.
    create_batch(dir.path());
    assert!(ok(sertibot(dir.path(), &["batch", "list"])).contains("\n2 "));
    let restored = ok(sertibot(dir.path(), &["restore", "copies/running.db"]));
    assert!(restored.contains("audit chain sound, 8 rows"), "{restored}");
    let aside = restored
        .split("kept as ")
        .nth(1)
        .unwrap()
        .trim()
        .trim_end_matches('.')
        .to_string();
    assert!(dir.path().join(&aside).is_file(), "{restored}");
    let list = ok(sertibot(dir.path(), &["batch", "list"]));
    assert!(list.contains("\n1 ") && !list.contains("\n2 "), "{list}");
    assert!(list.contains("running"), "{list}");
    ok(sertibot(dir.path(), &["audit", "verify"]));
    assert_eq!(mode(&dir.path().join("sertibot.db")), 0o600);

    // The restored batch still runs: its export is interim, and private.
    let exported = ok(sertibot(dir.path(), &["batch", "export", "1"]));
    assert!(
        exported.starts_with("Wrote batch-1-bukti-sementara.zip (")
            && exported.contains("Interim: the batch is not finished."),
        "{exported}"
    );
    assert_eq!(mode(&dir.path().join("batch-1-bukti-sementara.zip")), 0o600);
    let again = one_sentence_failure(&sertibot(dir.path(), &["batch", "export", "1"]));
    assert!(
        again.starts_with("Cannot write batch-1-bukti-sementara.zip"),
        "{again}"
    );

    // The performance report: a workbook and a PDF, private, never over others.
    let said = ok(sertibot(
        dir.path(),
        &[
            "report",
            "--from",
            "2026-11-01",
            "--to",
            "30-11-2026",
            "--out",
            "laporan.pdf",
        ],
    ));
    assert!(
        said.starts_with("Wrote laporan.xlsx and laporan.pdf: "),
        "{said}"
    );
    for file in ["laporan.xlsx", "laporan.pdf"] {
        assert_eq!(mode(&dir.path().join(file)), 0o600, "{file}");
    }
    assert!(
        pdf_words(&dir.path().join("laporan.pdf"))
            .contains("LAPORAN KINERJA PENERBITAN SERTIFIKAT")
    );
    let again = one_sentence_failure(&sertibot(
        dir.path(),
        &[
            "report",
            "--from",
            "2026-11-01",
            "--to",
            "2026-11-30",
            "--out",
            "laporan",
        ],
    ));
    assert!(again.contains("already exists"), "{again}");
    let reversed = one_sentence_failure(&sertibot(
        dir.path(),
        &["report", "--from", "2026-11-30", "--to", "2026-11-01"],
    ));
    assert!(
        reversed.contains("ends (2026-11-01) before it begins (2026-11-30)"),
        "{reversed}"
    );

    // A file that is not a database is refused, and nothing is replaced.
    std::fs::write(dir.path().join("junk.db"), b"not a database").unwrap();
    let junk = one_sentence_failure(&sertibot(dir.path(), &["restore", "junk.db"]));
    assert!(junk.contains("junk.db"), "{junk}");
    ok(sertibot(dir.path(), &["audit", "verify"]));
}

#[test]
fn the_records_commands_refuse_mistakes_with_one_sentence() {
    let dir = prepared();
    let path = dir.path();
    let refused = |args: &[&str]| one_sentence_failure(&sertibot(path, args));
    assert_eq!(
        refused(&["restore", "nope.db"]),
        "There is no file nope.db to restore."
    );
    assert!(
        refused(&["backup", "no-such-folder/b.db"])
            .contains("the folder no-such-folder does not exist")
    );
    assert_eq!(
        refused(&["participant", "show", "1", "--out", "a.txt"]),
        "--out names a .json or a .pdf file."
    );
    assert!(refused(&["participant", "show", "99"]).starts_with("there is no participant 99"));
    assert!(
        refused(&["participant", "erase", "99", "--reason", "x"])
            .starts_with("there is no participant 99")
    );
    assert!(!path.join("a.txt").exists());
    for (from, to, said) in [
        (
            "backup_keep = 7",
            "backup_keep = 0",
            "schedule.backup_keep is 0",
        ),
        (
            "retain_years = 5",
            "retain_years = 3",
            "records.retain_years is 3",
        ),
        (
            "backup = \"0 0 2 * * *\"",
            "backup = \"malam\"",
            "schedule.backup 'malam' is not a cron expression",
        ),
    ] {
        edit_config(path, from, to);
        let failure = refused(&["audit", "verify"]);
        assert!(failure.contains(said), "{failure}");
        edit_config(path, to, from);
    }
    ok(sertibot(path, &["audit", "verify"]));
}
