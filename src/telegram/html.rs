//! Telegram's HTML, as the templates write it (`<b>`, `<i>`, `<a>`, and
//! the entities `&amp;` `&lt;` `&gt;` `&quot;`): splitting a long text into
//! messages that are each valid HTML, shortening an edit to the limit, and
//! turning HTML into plain text for the email fallback.

/// Telegram's longest message text.
pub const MAX_TEXT: usize = 4096;

/// Room kept in each part for the tags that close it and reopen in the next.
const TAG_ROOM: usize = 64;

/// A piece of HTML that is never cut: a tag, an entity, or one character.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token<'a> {
    Open { name: &'a str, raw: &'a str },
    Close { name: &'a str, raw: &'a str },
    Text(&'a str),
}

impl<'a> Token<'a> {
    fn raw(&self) -> &'a str {
        match self {
            Token::Open { raw, .. } | Token::Close { raw, .. } | Token::Text(raw) => raw,
        }
    }
}

fn tokens(html: &str) -> Vec<Token<'_>> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(c) = rest.chars().next() {
        let len = match c {
            '<' => rest.find('>').map(|e| e + 1),
            '&' => rest
                .char_indices()
                .take(12)
                .find(|(_, c)| *c == ';')
                .map(|(e, _)| e + 1),
            _ => None,
        };
        let len = len.unwrap_or(c.len_utf8());
        let raw = &rest[..len];
        let token = if c == '<' && len > 2 {
            let inner = raw.trim_start_matches('<').trim_end_matches('>');
            match inner.strip_prefix('/') {
                Some(name) => Token::Close {
                    name: name.trim(),
                    raw,
                },
                None => Token::Open {
                    name: inner.split_whitespace().next().unwrap_or_default(),
                    raw,
                },
            }
        } else {
            Token::Text(raw)
        };
        out.push(token);
        rest = &rest[len..];
    }
    out
}

/// The tags open at some point, outermost first: (name, the opening tag as written).
type Open<'a> = Vec<(&'a str, &'a str)>;

fn closing(open: &Open<'_>) -> String {
    open.iter()
        .rev()
        .map(|(name, _)| format!("</{name}>"))
        .collect()
}

fn reopening(open: &Open<'_>) -> String {
    open.iter().map(|(_, raw)| *raw).collect()
}

/// Splits `html` into parts of at most `max` characters, each valid HTML:
/// at a line end where possible, else at a space, else between characters,
/// never inside a tag or an entity; a tag open across a cut is closed at
/// the end of one part and opened again at the start of the next.
pub fn split(html: &str, max: usize) -> Vec<String> {
    let budget = max.saturating_sub(TAG_ROOM).max(1);
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut length = 0usize;
    let mut open: Open<'_> = Vec::new();
    // Where the current part may be cut: (byte offset, tags open there).
    let mut line_end: Option<(usize, Open<'_>)> = None;
    let mut space: Option<(usize, Open<'_>)> = None;
    for token in tokens(html) {
        let raw = token.raw();
        let size = raw.chars().count();
        if length + size > budget && !current.is_empty() {
            let (at, open_there) = line_end
                .take()
                .or_else(|| space.take())
                .unwrap_or_else(|| (current.len(), open.clone()));
            let rest = current.split_off(at);
            let mut part = current.trim_end().to_string();
            part.push_str(&closing(&open_there));
            parts.push(part);
            current = reopening(&open_there);
            current.push_str(rest.trim_start_matches('\n'));
            length = current.chars().count();
            line_end = None;
            space = None;
        }
        current.push_str(raw);
        length += size;
        match token {
            Token::Open { name, raw } => open.push((name, raw)),
            Token::Close { name, .. } => {
                if let Some(i) = open.iter().rposition(|(n, _)| *n == name) {
                    open.truncate(i);
                }
            }
            Token::Text("\n") => line_end = Some((current.len(), open.clone())),
            Token::Text(" ") => space = Some((current.len(), open.clone())),
            Token::Text(_) => {}
        }
    }
    if !current.trim().is_empty() || parts.is_empty() {
        parts.push(current.trim_end().to_string());
    }
    parts
}

/// `html` within `max` characters: whole when it fits, else its first part
/// (cut as [`split`] cuts) followed by `note`.
pub fn shorten(html: &str, max: usize, note: &str) -> String {
    if html.chars().count() <= max {
        return html.to_string();
    }
    let room = max.saturating_sub(note.chars().count() + 2);
    let first = split(html, room).into_iter().next().unwrap_or_default();
    format!("{first}\n{note}")
}

/// Telegram's longest answer to a button press (a pop-up or a toast).
pub const MAX_POP_UP: usize = 200;

/// `text` as a button press's answer: plain, within [`MAX_POP_UP`]
/// characters, cut after a word with "…" when longer (the whole text, where
/// it matters, is in the chat).
pub fn pop_up(text: &str) -> String {
    if text.chars().count() <= MAX_POP_UP {
        return text.to_string();
    }
    let head: String = text.chars().take(MAX_POP_UP - 1).collect();
    let cut = head
        .rfind(char::is_whitespace)
        .filter(|i| *i > MAX_POP_UP / 2);
    format!("{}…", head[..cut.unwrap_or(head.len())].trim_end())
}

/// Telegram HTML as plain text, for the email fallback.
pub fn to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#x2f;", "/")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether every tag opened in `html` is closed in order, and no entity is cut.
    fn valid(html: &str) -> bool {
        let mut open = Vec::new();
        for token in tokens(html) {
            match token {
                Token::Open { name, .. } => open.push(name),
                Token::Close { name, .. } => {
                    if open.pop() != Some(name) {
                        return false;
                    }
                }
                Token::Text(t) if t.starts_with('&') && !t.ends_with(';') => return false,
                Token::Text(_) => {}
            }
        }
        open.is_empty()
    }

    #[test]
    fn long_texts_split_at_line_ends_and_lose_nothing() {
        let line = "Peserta dengan nama yang cukup panjang untuk diuji\n";
        let text = line.repeat(200);
        let parts = split(&text, MAX_TEXT);
        assert!(parts.len() > 1);
        assert!(parts.iter().all(|p| p.chars().count() <= MAX_TEXT));
        assert_eq!(parts.join("\n") + "\n", text);
        let one_line = "x".repeat(9000);
        let parts = split(&one_line, MAX_TEXT);
        assert_eq!(parts.len(), 3);
        assert_eq!(parts.concat(), one_line);
    }

    #[test]
    fn a_line_of_entities_is_never_cut_inside_one() {
        let text = format!("<b>Kendala</b>\n{}", "&amp;".repeat(1000));
        let parts = split(&text, MAX_TEXT);
        // The title line on its own, then the 5,000-character line in two.
        assert_eq!(parts.len(), 3);
        for part in &parts {
            assert!(part.chars().count() <= MAX_TEXT);
            assert!(valid(part), "{part}");
        }
        assert_eq!(to_text(&parts.concat()).matches('&').count(), 1000);
    }

    #[test]
    fn a_tag_open_across_a_cut_is_closed_and_opened_again() {
        let text = format!("<b>{}</b> selesai", "kata ".repeat(2000));
        let parts = split(&text, MAX_TEXT);
        assert!(parts.len() >= 3);
        for part in &parts {
            assert!(part.chars().count() <= MAX_TEXT, "{}", part.len());
            assert!(valid(part), "{part}");
            assert!(part.starts_with("<b>"), "{}", &part[..10]);
        }
        let words: usize = parts
            .iter()
            .map(|p| to_text(p).matches("kata").count())
            .sum();
        assert_eq!(words, 2000);
    }

    #[test]
    fn an_edit_too_long_is_shortened_at_a_boundary_with_a_note() {
        let names: String = (0..40)
            .map(|i| {
                format!(
                    "{i}. <b>{}</b> &amp; rekan: K\n",
                    "Nama Panjang ".repeat(10)
                )
            })
            .collect();
        let short = shorten(&names, MAX_TEXT, "… (dipersingkat)");
        assert!(short.chars().count() <= MAX_TEXT);
        assert!(valid(&short), "{short}");
        assert!(short.ends_with("… (dipersingkat)"));
        assert_eq!(shorten("pendek", MAX_TEXT, "x"), "pendek");
    }

    #[test]
    fn a_pop_up_stays_within_telegrams_limit() {
        let question = "Kirim nomor blangko untuk 3 peserta K: nomor blangko pertama (nomor berikutnya diurutkan otomatis), daftar nomor per baris sesuai urutan peserta, atau berkas CSV/XLSX dengan kolom registration_no dan no_blangko.";
        let answer = pop_up(question);
        assert!(answer.chars().count() <= MAX_POP_UP, "{answer}");
        assert!(answer.ends_with('…') && question.starts_with(answer.trim_end_matches('…')));
        assert_eq!(pop_up("Tercatat."), "Tercatat.");
        let one_word = "x".repeat(500);
        assert_eq!(pop_up(&one_word).chars().count(), MAX_POP_UP);
    }

    #[test]
    fn html_becomes_plain_text() {
        assert_eq!(
            to_text("<b>Langkah 3</b>\nPrinter &amp; toner &lt;habis&gt;"),
            "Langkah 3\nPrinter & toner <habis>"
        );
    }
}
