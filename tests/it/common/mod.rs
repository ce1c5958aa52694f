//! Shared helpers for the integration tests: an application on a real
//! SQLite file in a temporary folder, a manual clock, and a registered staff.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use sertibot::app::App;
use sertibot::clock::ManualClock;
use sertibot::config::Config;
use sertibot::domain::{Member, Role, RoleSet};
use sertibot::workflow::{Actor, Staff};

/// An application on a fresh database file, with its own clock.
pub struct TestApp {
    pub app: App,
    pub clock: Arc<ManualClock>,
    pub dir: tempfile::TempDir,
}

/// Tuesday 24 November 2026, 09:00 WIB.
pub fn monday_morning() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 24, 2, 0, 0).unwrap()
}

/// Writes a config file into `dir` with `extra` appended and loads it.
pub fn config_in(dir: &Path, extra: &str) -> Config {
    let path = dir.join("sertibot.toml");
    std::fs::write(
        &path,
        format!(
            "[database]\npath = \"test.db\"\n[telegram]\nbot_username = \"lsp_test_bot\"\n{extra}"
        ),
    )
    .unwrap();
    // Typeset by the sertibot binary: this test program is not one.
    Config::load(Some(&path), |name| {
        (name == "SERTIBOT_TYPESETTER").then(|| env!("CARGO_BIN_EXE_sertibot").to_string())
    })
    .unwrap()
}

impl TestApp {
    pub async fn new() -> TestApp {
        Self::with_config("").await
    }

    pub async fn with_config(extra: &str) -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let config = config_in(dir.path(), extra);
        let clock = Arc::new(ManualClock::new(monday_morning()));
        let app = App::open(config, clock.clone()).await.unwrap();
        TestApp { app, clock, dir }
    }

    /// Another application on the same database and clock (a second process, a restart).
    pub async fn reopen(&self, extra: &str) -> App {
        let config = config_in(self.dir.path(), extra);
        App::open(config, self.clock.clone()).await.unwrap()
    }

    pub fn clock_now(&self) -> DateTime<Utc> {
        sertibot::clock::Clock::now(&*self.clock)
    }

    pub fn db_path(&self) -> PathBuf {
        self.dir.path().join("test.db")
    }
}

/// The staff of a small LSP, one member per role plus a second committee member.
pub struct StaffRoster {
    pub ketua: Actor,
    pub sertifikasi: Actor,
    pub administrasi: Actor,
    pub komite: Actor,
    pub komite_2: Actor,
    pub members: Vec<Member>,
}

/// One member of the tests' LSP staff.
pub struct Person {
    pub name: String,
    pub role: Role,
    pub email: Option<&'static str>,
}

/// The tests' LSP staff, in this order: Ketua LSP, Kabag Sertifikasi,
/// Kabag Administrasi, then `committee` Komite Teknis members (Made and
/// Rina, then "Anggota Komite 3" and on). Ketua, Siti and Made have an
/// email address.
pub fn staff(committee: usize) -> Vec<Person> {
    let person = |name: &str, role, email| Person {
        name: name.to_string(),
        role,
        email,
    };
    let mut people = vec![
        person(
            "Dr. Hendra Wijaya",
            Role::KetuaLsp,
            Some("hendra@lsp.example.ac.id"),
        ),
        person("Andi Pratama", Role::KabagSertifikasi, None),
        person(
            "Siti Rahmawati",
            Role::KabagAdministrasi,
            Some("siti@lsp.example.ac.id"),
        ),
    ];
    for i in 0..committee {
        people.push(match i {
            0 => person(
                "Ir. Made Sudarsana",
                Role::KomiteTeknis,
                Some("made@example.com"),
            ),
            1 => person("Rina Kusuma", Role::KomiteTeknis, None),
            _ => person(
                &format!("Anggota Komite {}", i + 1),
                Role::KomiteTeknis,
                None,
            ),
        });
    }
    people
}

/// Adds `people` as members, in order; returns each one's one-use
/// registration token.
pub async fn add_people(app: &App, people: &[Person]) -> Vec<String> {
    let mut tokens = Vec::new();
    for p in people {
        let roles: RoleSet = [p.role].into();
        let added = app.add_member(&p.name, &roles, p.email).await.unwrap();
        tokens.push(added.token.token);
    }
    tokens
}

/// [`staff`] with two committee members, added as members (not yet
/// registered in Telegram), and each as the actor the use cases take.
pub async fn add_staff(app: &App) -> StaffRoster {
    add_people(app, &staff(2)).await;
    let members: Vec<Member> = app
        .members()
        .await
        .unwrap()
        .into_iter()
        .map(|(m, _)| m)
        .collect();
    let actor = |name: &str| {
        let m = members.iter().find(|m| m.name == name).unwrap();
        Actor::Staff(Staff {
            id: m.id,
            name: m.name.clone(),
            roles: m.roles.clone(),
        })
    };
    StaffRoster {
        ketua: actor("Dr. Hendra Wijaya"),
        sertifikasi: actor("Andi Pratama"),
        administrasi: actor("Siti Rahmawati"),
        komite: actor("Ir. Made Sudarsana"),
        komite_2: actor("Rina Kusuma"),
        members,
    }
}

/// A CSV with `n` participants, Indonesian names included.
pub fn participants_csv(n: usize) -> String {
    let names = [
        "Ni Komang Ayu Widyastuti",
        "Ma'ruf Amin",
        "Dwi Ayu Lestari Siregar",
        "Bagus Setiawan",
        "Yohana Fransiska Manurung",
    ];
    let mut csv = String::from("name,email,registration_no\n");
    for i in 0..n {
        let name = if i < names.len() {
            names[i].to_string()
        } else {
            format!("Peserta {i}")
        };
        csv.push_str(&format!("\"{name}\",asesi{i}@example.com,REG-{i:05}\n"));
    }
    csv
}

/// A draft batch of `participants` from [`participants_csv`], assessed on 20 November 2026.
pub async fn new_batch(app: &App, participants: usize) -> sertibot::domain::BatchId {
    batch_of(app, &participants_csv(participants)).await
}

/// A draft batch of the participants of list `csv`, assessed on 20 November 2026.
pub async fn batch_of(app: &App, csv: &str) -> sertibot::domain::BatchId {
    use sertibot::app::Via;
    let batch = app
        .create_batch(
            "Operator Mesin Produksi",
            chrono::NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
            Some("TUK Workshop STMI"),
            &sertibot::workflow::Actor::Operator,
            Via::Cli,
        )
        .await
        .unwrap();
    app.import_participants(
        batch,
        csv.as_bytes(),
        &sertibot::workflow::Actor::Operator,
        Via::Cli,
    )
    .await
    .unwrap();
    batch
}

/// The email worker of the service, on `t`'s database and clock, with the
/// config's transport (an SMTP server, or `.eml` files).
pub fn email_worker(t: &TestApp) -> sertibot::mail::delivery::EmailDelivery {
    let app = &t.app;
    let (mailer, from) = sertibot::mail::transport::Mailer::from_config(&app.config.mail).unwrap();
    let composer = sertibot::mail::compose::Composer {
        templates: app.templates.clone(),
        lang: app.config.language,
        from,
        reply_to: app.config.lsp.email.parse().ok(),
        installation: app.store.installation().to_string(),
    };
    sertibot::mail::delivery::EmailDelivery::new(
        app.store.clone(),
        mailer,
        composer,
        t.clock.clone(),
    )
    .with_documents(app.issuer())
}
