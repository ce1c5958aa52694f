//! What a member types: one of the bot's commands (parsed by teloxide's
//! `BotCommands`), a command the bot does not know, or plain text (an
//! answer in a conversation, or nothing).

use teloxide::utils::command::BotCommands;

/// The bot's commands. Each takes the rest of the line as its argument
/// (empty when there is none); commands that need none ignore it, as they
/// always have. Words are matched whatever their case, and a command
/// addressed to the bot by name (`/status@sertibot_bot 3`) reads as one.
#[derive(BotCommands, Debug, Clone, PartialEq, Eq)]
#[command(rename_rule = "lowercase")]
pub enum ChatCommand {
    /// `/start <token>`: opens a registration link.
    Start(String),
    /// `/batal`: leaves the conversation under way.
    Batal(String),
    /// `/bantuan`: the commands.
    Bantuan(String),
    /// `/help`: the same, in English.
    Help(String),
    /// `/tugas`: the member's open tasks.
    Tugas(String),
    /// `/jeda <batch> <step> <reason>`: pauses a step's clock.
    Jeda(String),
    /// `/lanjut <batch> <step>`: runs a paused clock again.
    Lanjut(String),
    /// `/ubahrapat [batch]`: moves the meeting.
    Ubahrapat(String),
    /// `/batalrapat [batch]`: cancels the meeting.
    Batalrapat(String),
    /// `/batchbaru`: creates a batch through a conversation.
    Batchbaru(String),
    /// `/batch`: the most recent batches.
    Batch(String),
    /// `/status [batch]`: where a batch stands.
    Status(String),
    /// `/keluargrup`: in a group, makes the bot leave it.
    Keluargrup(String),
    /// `/anggota`: the staff list (Ketua LSP, Kabag Sertifikasi).
    Anggota(String),
    /// `/tambahanggota <peran> <nama> [email]`: adds a member, returns the link.
    Tambahanggota(String),
    /// `/nonaktifkan <nomor>`: deactivates a member.
    Nonaktifkan(String),
    /// `/aktifkan <nomor>`: reactivates a member.
    Aktifkan(String),
    /// `/peran <nomor> tambah|hapus <peran>`: gives or takes a role.
    Peran(String),
    /// `/emailanggota <nomor> <email|->`: a member's email address.
    Emailanggota(String),
    /// `/nipanggota <nomor> <NIP|->`: a member's NIP, printed on papers.
    Nipanggota(String),
    /// `/emailpeserta <batch> <peserta> <email> <alasan>`: corrects a participant's email.
    Emailpeserta(String),
    /// `/koreksihasil <batch> <peserta> <K|BK> <alasan>`: corrects a result.
    Koreksihasil(String),
    /// `/koreksisk <batch> <nomor> <tanggal> <alasan>`: corrects the decree.
    Koreksisk(String),
    /// `/batalkanbatch <batch> <alasan>`: cancels a batch.
    Batalkanbatch(String),
    /// `/dokumen [batch] [jenis]`: a batch's documents, as files.
    Dokumen(String),
    /// `/laporan [awal] [akhir]`: the performance report (Ketua LSP).
    Laporan(String),
}

/// A message's text, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Typed {
    /// One of the bot's commands.
    Command(ChatCommand),
    /// A word after a slash that is not one of them.
    Unknown,
    /// Text that is not a command (trimmed).
    Text(String),
}

impl Typed {
    /// Reads a message's text.
    pub fn read(text: &str) -> Typed {
        let text = text.trim();
        let Some(rest) = text.strip_prefix('/') else {
            return Typed::Text(text.to_string());
        };
        let (word, argument) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
        let (word, addressed) = word.split_once('@').unwrap_or((word, ""));
        // Commands are matched whatever their case; the name after '@' is
        // given back as the bot's own, so any addressed command reads as ours.
        let line = format!("/{} {}", word.to_lowercase(), argument.trim());
        match ChatCommand::parse(line.trim_end(), addressed) {
            Ok(command) => Typed::Command(command),
            Err(_) => Typed::Unknown,
        }
    }

    /// The command, if the text is one of the bot's.
    pub fn command(&self) -> Option<&ChatCommand> {
        match self {
            Typed::Command(c) => Some(c),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_read_whatever_their_case_and_address() {
        let status = |arg: &str| Typed::Command(ChatCommand::Status(arg.into()));
        assert_eq!(Typed::read("/status 3"), status("3"));
        assert_eq!(Typed::read("  /STATUS@sertibot_bot   3 "), status("3"));
        assert_eq!(Typed::read("/status"), status(""));
        assert_eq!(
            Typed::read("/jeda 1 2 menunggu BNSP"),
            Typed::Command(ChatCommand::Jeda("1 2 menunggu BNSP".into()))
        );
        assert_eq!(
            Typed::read("/batal sekarang"),
            Typed::Command(ChatCommand::Batal("sekarang".into()))
        );
        assert_eq!(Typed::read("/lurah"), Typed::Unknown);
        assert_eq!(Typed::read("/"), Typed::Unknown);
        assert_eq!(
            Typed::read(" Ruang rapat "),
            Typed::Text("Ruang rapat".into())
        );
    }
}
