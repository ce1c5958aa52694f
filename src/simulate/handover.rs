//! The rehearsal's last phase: each participant's handover from the
//! handover list (one by courier, one through a representative), the clock
//! moved on to a weekly summary, and the closing line.

use serde_json::json;

use super::Rehearsal;
use super::script::{Cast, name};
use crate::domain::BatchId;
use crate::workflow::{Command, ReceiptVia};

impl Rehearsal<'_> {
    /// Each participant's handover from the handover list: opened when
    /// they arrive, then the receipt (the first sent by courier, the
    /// second collected by a representative), and the closing line.
    pub(super) async fn hand_over(&mut self, cast: &Cast, batch: BatchId) -> anyhow::Result<()> {
        let andi = name(&cast.sertifikasi);
        let state = self.state(batch).await?;
        self.presses(&andi, "button_handovers", json!({}))?;
        let list = crate::notify::reports::handover_list(&state);
        self.show(&andi, false, &crate::notify::Message::HandoverList(list))?;
        let people: Vec<_> = state
            .participants
            .values()
            .map(|p| (p.id, p.name.clone()))
            .collect();
        for (i, (p, who)) in people.into_iter().enumerate() {
            self.wait(60).await?;
            self.presses(&andi, "button_open_handover", json!({"name": who}))?;
            self.act(
                &cast.sertifikasi,
                vec![Command::OpenHandover { participant: p }],
            )
            .await?;
            self.answer(&andi, "handover_opened", json!({"name": who}))?;
            self.wait(5).await?;
            let via = match i {
                0 => {
                    self.presses(&andi, "button_courier", json!({}))?;
                    self.answer(&andi, "ask_tracking_no", json!({"name": who}))?;
                    self.types(&andi, "JNE 0123456789")?;
                    ReceiptVia::Courier {
                        tracking_no: "JNE 0123456789".into(),
                    }
                }
                1 => {
                    self.presses(&andi, "button_proxy", json!({}))?;
                    self.answer(&andi, "ask_representative", json!({"name": who}))?;
                    self.types(&andi, "Siti Aminah")?;
                    ReceiptVia::Representative {
                        name: "Siti Aminah".into(),
                    }
                }
                _ => {
                    self.presses(&andi, "button_receipt", json!({"name": who}))?;
                    ReceiptVia::InPerson
                }
            };
            let context = json!({"name": who, "via": via.as_str(), "detail": via.detail()});
            self.act(
                &cast.sertifikasi,
                vec![Command::RecordReceipt {
                    participant: p,
                    via,
                }],
            )
            .await?;
            self.answer(&andi, "receipt_set", context)?;
        }
        Ok(())
    }

    /// The clock moves on to the next weekly summary, and the closing line.
    pub(super) async fn weekly_summary(&mut self) -> anyhow::Result<()> {
        let schedule = self.app.config.weekly_schedule.clone();
        let next = self.app.config.next_on_schedule(&schedule, self.now());
        if let Some(next) = next.filter(|_| !self.weekly_shown) {
            self.frame("sim_weekly", json!({}))?;
            self.wait_until(next).await?;
        }
        let state = self.state(BatchId(1)).await?;
        let status = self.phrase("sim_status", json!({"status": state.status.as_str()}));
        self.frame(
            "sim_summary",
            json!({
                "batch": 1,
                "status": status,
                "telegram": self.summary.telegram_messages,
                "emails": self.summary.emails,
                "overdue": self.summary.overdue_alerts,
            }),
        )
    }
}
