//! The rehearsal's script: the staff, the batch, the meeting (with step 2
//! left late), the decision and decree, the documents, and the handovers.

use chrono::NaiveDate;

use super::{NAMES, Rehearsal};
use crate::app::Via;
use crate::domain::{BatchId, Competence, Role, RoleSet};
use crate::sop::StepNo;
use crate::workflow::{Actor, Command, Decree, Meeting, Staff};

/// The five staff members the script plays.
struct Cast {
    ketua: Actor,
    sertifikasi: Actor,
    administrasi: Actor,
    komite: Actor,
    komite_2: Actor,
}

impl Rehearsal<'_> {
    /// Plays the SOP through: `participants`, of whom `bk` are BK.
    pub(super) async fn script(&mut self, participants: usize, bk: usize) -> anyhow::Result<()> {
        let cast = self.cast().await?;
        let batch = self.open_batch(participants, bk).await?;
        self.invite(&cast).await?;
        self.decide(&cast, participants, bk, batch).await?;
        self.issue(&cast, participants, bk, batch).await?;
        self.hand_over(&cast, batch).await
    }

    /// The batch's state now.
    async fn state(&self, batch: BatchId) -> anyhow::Result<crate::workflow::BatchState> {
        let (_, state, _) = self
            .app
            .batch(batch)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(state)
    }

    /// Adds the staff.
    async fn cast(&mut self) -> anyhow::Result<Cast> {
        let roles = |r: Role| -> RoleSet { [r].into() };
        let staff = [
            (
                "Dr. Hendra Wijaya",
                roles(Role::KetuaLsp),
                Some("hendra@stmi.example.ac.id"),
            ),
            ("Andi Pratama", roles(Role::KabagSertifikasi), None),
            ("Siti Rahmawati", roles(Role::KabagAdministrasi), None),
            (
                "Ir. Made Sudarsana",
                roles(Role::KomiteTeknis),
                Some("made@example.com"),
            ),
            ("Rina Kusuma", roles(Role::KomiteTeknis), None),
        ];
        let mut actors = Vec::new();
        for (name, roles, email) in staff {
            let added = self
                .app
                .add_member(name, &roles, email)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            actors.push(Actor::Staff(Staff {
                id: added.id,
                name: name.into(),
                roles,
            }));
        }
        let [ketua, sertifikasi, administrasi, komite, komite_2] =
            actors.try_into().map_err(|_| anyhow::anyhow!("staff"))?;
        Ok(Cast {
            ketua,
            sertifikasi,
            administrasi,
            komite,
            komite_2,
        })
    }

    /// Creates the batch, imports its participants and starts it.
    async fn open_batch(&mut self, participants: usize, bk: usize) -> anyhow::Result<BatchId> {
        let batch = self
            .app
            .create_batch(
                "Operator Mesin Produksi",
                NaiveDate::from_ymd_opt(2026, 11, 20).unwrap_or_default(),
                Some("TUK Workshop STMI"),
                &Actor::Operator,
                Via::Simulation,
            )
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let mut csv = String::from("name,email,registration_no\n");
        for i in 0..participants {
            let name = NAMES
                .get(i)
                .map_or_else(|| format!("Peserta {}", i + 1), |n| (*n).to_string());
            csv.push_str(&format!(
                "\"{name}\",asesi{}@example.com,MET-{:04}\n",
                i + 1,
                i + 1
            ));
        }
        self.app
            .import_participants(batch, csv.as_bytes(), &Actor::Operator, Via::Simulation)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        writeln!(
            self.out,
            "Rehearsal of SOP Penerbitan Sertifikat: batch {batch}, {participants} participants ({bk} BK).\n"
        )?;
        self.app
            .start_batch(batch, &Actor::Operator, Via::Simulation)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        self.pump().await?;

        Ok(batch)
    }

    /// Step 1 (the invitation and the answers) and step 2, left late.
    async fn invite(&mut self, cast: &Cast) -> anyhow::Result<()> {
        let s = StepNo;
        self.wait(5).await?;
        self.act(
            &cast.administrasi,
            vec![Command::Acknowledge { step: s(1) }],
        )
        .await?;
        self.wait(30).await?;
        // The meeting: six working hours after the invitation goes out.
        let meeting = Meeting {
            starts_at: self.app.config.calendar.add_minutes(self.now(), 6 * 60),
            place: "Ruang Rapat LSP, Gedung B lt. 2".into(),
        };
        self.act(
            &cast.administrasi,
            vec![
                Command::SetMeeting { meeting },
                Command::MarkDone { step: s(1) },
            ],
        )
        .await?;
        self.act(
            &cast.komite,
            vec![Command::Rsvp {
                attend: true,
                reason: None,
            }],
        )
        .await?;
        self.act(
            &cast.komite_2,
            vec![Command::Rsvp {
                attend: false,
                reason: Some("Dinas luar kota".into()),
            }],
        )
        .await?;
        // Step 2 runs late: past its hour, past a reminder.
        writeln!(
            self.out,
            "\n(Step 2 is left undone past its standard time.)\n"
        )?;
        self.wait(5 * 60 + 30).await?;
        self.act(
            &cast.sertifikasi,
            vec![
                Command::Acknowledge { step: s(2) },
                Command::MarkDone { step: s(2) },
            ],
        )
        .await?;
        // The meeting begins half an hour later and decides after two hours.
        self.wait(30).await?;
        self.act(&cast.komite, vec![Command::Acknowledge { step: s(3) }])
            .await?;
        self.wait(120).await?;
        Ok(())
    }

    /// The plenary's results and the decree.
    async fn decide(
        &mut self,
        cast: &Cast,
        participants: usize,
        bk: usize,
        batch: BatchId,
    ) -> anyhow::Result<()> {
        let s = StepNo;
        let state = self.state(batch).await?;
        let mut results: Vec<Command> = state
            .participants
            .keys()
            .enumerate()
            .map(|(i, p)| Command::RecordResult {
                participant: *p,
                result: if i >= participants - bk {
                    Competence::BelumKompeten
                } else {
                    Competence::Kompeten
                },
            })
            .collect();
        results.push(Command::MarkDone { step: s(3) });
        self.act(&cast.ketua, results).await?;
        self.wait(30).await?;
        let today = self
            .now()
            .with_timezone(&self.app.config.calendar.tz)
            .date_naive();
        self.act(
            &cast.ketua,
            vec![
                Command::RecordDecree {
                    decree: Decree {
                        number: "SK/LSP-STMI/042/XI/2026".into(),
                        date: today,
                    },
                },
                Command::MarkDone { step: s(4) },
            ],
        )
        .await?;
        Ok(())
    }

    /// The BK letter, and for the K participants the blanks, printing,
    /// signing and stamping.
    async fn issue(
        &mut self,
        cast: &Cast,
        participants: usize,
        bk: usize,
        batch: BatchId,
    ) -> anyhow::Result<()> {
        let s = StepNo;
        if bk > 0 {
            self.wait(45).await?;
            self.act(&cast.administrasi, vec![Command::MarkDone { step: s(5) }])
                .await?;
        }
        if bk < participants {
            self.wait(3 * 480).await?;
            let state = self.state(batch).await?;
            let mut blanks: Vec<Command> = state
                .participants
                .values()
                .filter(|p| p.result == Some(Competence::Kompeten))
                .enumerate()
                .map(|(i, p)| Command::RecordBlankNumber {
                    participant: p.id,
                    number: format!("BNSP-2026-{:06}", 120 + i),
                })
                .collect();
            blanks.push(Command::MarkDone { step: s(6) });
            self.act(&cast.sertifikasi, blanks).await?;
            self.wait(300).await?;
            self.act(&cast.sertifikasi, vec![Command::MarkDone { step: s(7) }])
                .await?;
            self.wait(90).await?;
            self.act(&cast.ketua, vec![Command::MarkDone { step: s(8) }])
                .await?;
            self.wait(8).await?;
            self.act(&cast.administrasi, vec![Command::MarkDone { step: s(10) }])
                .await?;
        }
        Ok(())
    }

    /// Each participant's handover and receipt, and the closing line.
    async fn hand_over(&mut self, cast: &Cast, batch: BatchId) -> anyhow::Result<()> {
        let state = self.state(batch).await?;
        for p in state.participants.keys().copied().collect::<Vec<_>>() {
            self.wait(60).await?;
            self.act(
                &cast.sertifikasi,
                vec![Command::OpenHandover { participant: p }],
            )
            .await?;
            self.wait(5).await?;
            self.act(
                &cast.sertifikasi,
                vec![Command::RecordReceipt { participant: p }],
            )
            .await?;
        }
        let state = self.state(batch).await?;
        writeln!(
            self.out,
            "\nBatch {batch} is {}: {} Telegram messages, {} emails written, {} overdue alerts.",
            state.status.as_str(),
            self.summary.telegram_messages,
            self.summary.emails,
            self.summary.overdue_alerts
        )?;
        Ok(())
    }
}
