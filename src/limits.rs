//! Bounds on what sertibot keeps of outside text: an error message from a
//! library or a server (which may quote a huge or hostile answer) is cut
//! before it is stored in any column or written to the log.

/// The most of an error text stored in the database (`outbox.last_error`).
pub const MAX_STORED_ERROR: usize = 64 * 1024;
/// The most of an error text written in one log line.
pub const MAX_LOGGED_ERROR: usize = 4 * 1024;

/// `text` cut to at most `max` bytes at a character boundary, saying how
/// much was left out.
pub fn clip(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let note = format!(" … ({} bytes cut)", text.len());
    let mut end = max.saturating_sub(note.len());
    while end > 0 && !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}{note}", &text[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_texts_are_cut_at_a_character_and_say_so() {
        assert_eq!(clip("pendek", 100), "pendek");
        let long = "é".repeat(100_000);
        let cut = clip(&long, MAX_STORED_ERROR);
        assert!(cut.len() <= MAX_STORED_ERROR);
        assert!(
            cut.ends_with("(200000 bytes cut)"),
            "{}",
            &cut[cut.len() - 40..]
        );
    }
}
