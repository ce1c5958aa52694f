//! The rehearsal's script: the staff, the batch, the meeting (with step 2
//! left late), the decision and decree, the documents, and the handovers.
//! Every conversation a member has with the bot is shown as it happens in
//! Telegram: the press, the question, the typed answer, the reply.

use chrono::NaiveDate;
use serde_json::json;

use super::{NAMES, Rehearsal};
use crate::app::Via;
use crate::domain::{BatchId, Competence, Role, RoleSet};
use crate::sop::StepNo;
use crate::workflow::{Actor, Command, Decree, Meeting, Staff};

/// The five staff members the script plays.
pub(super) struct Cast {
    pub(super) ketua: Actor,
    pub(super) sertifikasi: Actor,
    pub(super) administrasi: Actor,
    pub(super) komite: Actor,
    pub(super) komite_2: Actor,
}

/// A member's name, as the transcript shows who pressed or typed.
pub(super) fn name(actor: &Actor) -> String {
    match actor {
        Actor::Staff(staff) => staff.name.clone(),
        Actor::Operator => "operator".into(),
    }
}

impl Rehearsal<'_> {
    /// Plays the SOP through: `participants`, of whom `bk` are BK.
    pub(super) async fn script(&mut self, participants: usize, bk: usize) -> anyhow::Result<()> {
        let cast = self.cast().await?;
        let batch = self.open_batch(participants, bk).await?;
        self.invite(&cast).await?;
        self.decide(&cast, participants, bk, batch).await?;
        self.issue(&cast, participants, bk, batch).await?;
        self.hand_over(&cast, batch).await?;
        self.weekly_summary().await
    }

    /// The batch's state now.
    pub(super) async fn state(
        &self,
        batch: BatchId,
    ) -> anyhow::Result<crate::workflow::BatchState> {
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
        self.frame(
            "sim_title",
            json!({"batch": batch.0, "participants": participants, "bk": bk}),
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
        self.meeting_dialogue(cast, &meeting)?;
        let starts_at = meeting.starts_at;
        self.act(&cast.administrasi, vec![Command::SetMeeting { meeting }])
            .await?;
        let adm = name(&cast.administrasi);
        self.presses(&adm, "button_done", json!({}))?;
        self.act(&cast.administrasi, vec![Command::MarkDone { step: s(1) }])
            .await?;
        self.answer(&adm, "recorded_done", json!({"step": 1}))?;
        let (komite, komite_2) = (name(&cast.komite), name(&cast.komite_2));
        self.presses(&komite, "button_attend", json!({}))?;
        self.act(
            &cast.komite,
            vec![Command::Rsvp {
                attend: true,
                reason: None,
            }],
        )
        .await?;
        self.answer(&komite, "rsvp_attend", json!({}))?;
        self.presses(&komite_2, "button_absent", json!({}))?;
        self.answer(&komite_2, "ask_absence_reason", json!({}))?;
        self.types(&komite_2, "Dinas luar kota")?;
        self.act(
            &cast.komite_2,
            vec![Command::Rsvp {
                attend: false,
                reason: Some("Dinas luar kota".into()),
            }],
        )
        .await?;
        self.answer(&komite_2, "rsvp_absent", json!({}))?;
        // Step 2 runs late: past its hour, past a reminder.
        self.frame("sim_step2_late", json!({}))?;
        self.wait(5 * 60 + 30).await?;
        self.act(
            &cast.sertifikasi,
            vec![
                Command::Acknowledge { step: s(2) },
                Command::MarkDone { step: s(2) },
            ],
        )
        .await?;
        // The meeting begins when it was set for and decides after two
        // hours (on the wall clock: a meeting is not paused at closing time).
        self.wait_until(starts_at.max(self.now())).await?;
        self.act(&cast.komite, vec![Command::Acknowledge { step: s(3) }])
            .await?;
        self.wait_until(starts_at + chrono::Duration::hours(2))
            .await?;
        Ok(())
    }

    /// The meeting's conversation: date, time and place, as typed in chat.
    fn meeting_dialogue(&mut self, cast: &Cast, meeting: &Meeting) -> anyhow::Result<()> {
        let adm = name(&cast.administrasi);
        let local = meeting
            .starts_at
            .with_timezone(&self.app.config.calendar.tz);
        self.presses(&adm, "button_meeting", json!({}))?;
        self.answer(&adm, "ask_meeting_date", json!({}))?;
        self.types(&adm, &local.format("%d-%m-%Y").to_string())?;
        self.answer(&adm, "ask_meeting_time", json!({}))?;
        self.types(&adm, &local.format("%H.%M").to_string())?;
        self.answer(&adm, "ask_meeting_place", json!({}))?;
        self.types(&adm, &meeting.place)?;
        let starts_at = crate::templates::Templates::instant_text(
            meeting.starts_at,
            self.app.config.calendar.tz,
            self.lang,
        );
        self.answer(
            &adm,
            "meeting_set",
            json!({"starts_at": starts_at, "place": meeting.place}),
        )
    }

    /// The plenary's results (the K/BK keyboard) and the decree's conversation.
    async fn decide(
        &mut self,
        cast: &Cast,
        participants: usize,
        bk: usize,
        batch: BatchId,
    ) -> anyhow::Result<()> {
        let s = StepNo;
        let ketua = name(&cast.ketua);
        let state = self.state(batch).await?;
        self.presses(&ketua, "button_results", json!({}))?;
        let (page, _, _) = crate::notify::reports::results_page(&state, 1);
        self.show(
            &ketua,
            false,
            &crate::notify::Message::ResultsKeyboard(page),
        )?;
        let mut results: Vec<Command> = Vec::new();
        for (i, p) in state.participants.values().enumerate() {
            let result = if i >= participants - bk {
                Competence::BelumKompeten
            } else {
                Competence::Kompeten
            };
            let label = format!("{} · {}", result.code(), p.name);
            let line = self.phrase("sim_presses", json!({"name": ketua, "button": label}));
            writeln!(self.out, "   ▸ {line}")?;
            results.push(Command::RecordResult {
                participant: p.id,
                result,
            });
            // The plenary names the units a BK participant is not yet
            // competent in (a results file's unit_bk column), for their letter.
            if result == Competence::BelumKompeten {
                results.push(Command::RecordUnitsBk {
                    participant: p.id,
                    units: vec!["M.702090.001.01".into(), "M.702090.014.01".into()],
                });
            }
        }
        self.act(&cast.ketua, results).await?;
        let state = self.state(batch).await?;
        let (page, _, _) = crate::notify::reports::results_page(&state, 1);
        self.show(&ketua, true, &crate::notify::Message::ResultsKeyboard(page))?;
        self.presses(&ketua, "button_done", json!({}))?;
        self.act(&cast.ketua, vec![Command::MarkDone { step: s(3) }])
            .await?;
        self.answer(&ketua, "recorded_done", json!({"step": 3}))?;
        self.wait(30).await?;
        let today = self
            .now()
            .with_timezone(&self.app.config.calendar.tz)
            .date_naive();
        let number = "SK/LSP-STMI/042/XI/2026";
        self.presses(&ketua, "button_decree", json!({}))?;
        self.answer(&ketua, "ask_decree_number", json!({}))?;
        self.types(&ketua, number)?;
        self.answer(&ketua, "ask_decree_date", json!({}))?;
        let typed = today.format("%d-%m-%Y").to_string();
        self.types(&ketua, &typed)?;
        self.act(
            &cast.ketua,
            vec![Command::RecordDecree {
                decree: Decree {
                    number: number.into(),
                    date: today,
                },
            }],
        )
        .await?;
        self.answer(
            &ketua,
            "decree_set",
            json!({"number": number, "date": today.to_string()}),
        )?;
        self.presses(&ketua, "button_done", json!({}))?;
        self.act(&cast.ketua, vec![Command::MarkDone { step: s(4) }])
            .await?;
        self.answer(&ketua, "recorded_done", json!({"step": 4}))
    }

    /// The BK letter, and for the K participants the blanks (the
    /// blank-number conversation), printing, signing and stamping.
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
            let first = "BNSP-2026-000120";
            let blanks: Vec<Command> = state
                .participants
                .values()
                .filter(|p| p.result == Some(Competence::Kompeten))
                .enumerate()
                .map(|(i, p)| Command::RecordBlankNumber {
                    participant: p.id,
                    number: format!("BNSP-2026-{:06}", 120 + i),
                })
                .collect();
            let count = blanks.len();
            let andi = name(&cast.sertifikasi);
            self.presses(&andi, "button_blanks", json!({}))?;
            self.answer(&andi, "ask_blank_numbers", json!({"count": count}))?;
            self.types(&andi, first)?;
            self.act(&cast.sertifikasi, blanks).await?;
            self.answer(&andi, "blanks_set", json!({"count": count}))?;
            self.act(&cast.sertifikasi, vec![Command::MarkDone { step: s(6) }])
                .await?;
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
}
