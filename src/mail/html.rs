//! An email's HTML part, written from its plain text so the two always say
//! the same: paragraphs flow to the reader's width (no ragged breaks on a
//! phone), a block of "Label: value" lines becomes a small table whose
//! columns line up in any font, and a line set apart by indentation (the
//! result, "KOMPETEN (K)") is emphasised. Everything is escaped: a name or a
//! place typed by someone can never become markup.

/// The longest label a fact line may have ("Tanggal asesmen").
const MAX_LABEL: usize = 40;

/// The HTML body for `text` (the blocks only; the layout wraps them).
pub fn body(text: &str) -> String {
    let mut html = String::new();
    for block in blocks(text) {
        html.push_str(&render(&block));
        html.push('\n');
    }
    html
}

/// One block of the text, as it will be shown.
#[derive(Debug, PartialEq, Eq)]
enum Block {
    /// Lines that flow together; a line ending a greeting or a closing
    /// ("Yth. …,", "Hormat kami,") keeps its break.
    Paragraph(Vec<String>),
    /// "Label: value" lines (a value may go on over indented lines).
    Facts(Vec<(String, String)>),
    /// A line set apart by indentation: what the message is about.
    Emphasis(String),
}

/// Splits the text at blank lines and decides what each block is.
fn blocks(text: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut lines: Vec<&str> = Vec::new();
    for line in text.lines().chain(std::iter::once("")) {
        if !line.trim().is_empty() {
            lines.push(line.trim_end());
            continue;
        }
        if !lines.is_empty() {
            out.push(classify(&lines));
            lines.clear();
        }
    }
    out
}

fn classify(lines: &[&str]) -> Block {
    if let [only] = lines
        && only.starts_with("  ")
        && fact(only).is_none()
    {
        return Block::Emphasis(only.trim().to_string());
    }
    if let Some(facts) = facts(lines) {
        return Block::Facts(facts);
    }
    Block::Paragraph(lines.iter().map(|l| l.trim().to_string()).collect())
}

/// Every line a fact, or an indented continuation of the one before.
fn facts(lines: &[&str]) -> Option<Vec<(String, String)>> {
    let mut facts: Vec<(String, String)> = Vec::new();
    for line in lines {
        match fact(line) {
            Some((label, value)) => facts.push((label, value)),
            None if line.starts_with("  ") => {
                let (_, value) = facts.last_mut()?;
                value.push(' ');
                value.push_str(line.trim());
            }
            None => return None,
        }
    }
    (!facts.is_empty()).then_some(facts)
}

/// "Label: value" or "  Label      : value", with a short label.
fn fact(line: &str) -> Option<(String, String)> {
    let (label, value) = line.split_once(':')?;
    let label = label.trim();
    let value = value.trim();
    let plain = label.chars().count() <= MAX_LABEL
        && !label.is_empty()
        && !value.is_empty()
        && !label.contains("http")
        && label
            .chars()
            .all(|c| c.is_alphanumeric() || " .-/()".contains(c));
    plain.then(|| (label.to_string(), value.to_string()))
}

fn render(block: &Block) -> String {
    match block {
        Block::Paragraph(lines) => {
            let mut html = String::from("<p style=\"margin: 0 0 14px;\">");
            for (i, line) in lines.iter().enumerate() {
                html.push_str(&escape(line));
                if i + 1 < lines.len() {
                    html.push_str(if line.ends_with(',') { "<br>\n" } else { "\n" });
                }
            }
            html.push_str("</p>");
            html
        }
        Block::Facts(facts) => {
            let mut html = String::from(
                "<table role=\"presentation\" style=\"border-collapse: collapse; margin: 0 0 14px;\">",
            );
            for (label, value) in facts {
                html.push_str(&format!(
                    "<tr><td style=\"padding: 2px 16px 2px 0; color: #555; vertical-align: top;\">{}</td>\
                     <td style=\"padding: 2px 0; vertical-align: top;\">{}</td></tr>",
                    escape(label),
                    escape(value)
                ));
            }
            html.push_str("</table>");
            html
        }
        Block::Emphasis(text) => format!(
            "<p style=\"margin: 0 0 14px; font-size: 20px;\"><strong>{}</strong></p>",
            escape(text)
        ),
    }
}

/// Text as HTML: the five characters that could start markup, escaped.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facts_become_a_table_the_result_is_emphasised_and_paragraphs_flow() {
        let text = "Yth. Ma'ruf <Amin>,\n\nBerdasarkan rapat pleno, hasil uji\nkompetensi Anda adalah:\n\n    KOMPETEN (K)\n\n  Tempat      : LSP & Co, Jl. Suprapto\n                No. 26\n  Jam layanan : 08.00–16.00 WIB\n\nHormat kami,\nLSP Nusantara\n";
        let html = body(text);
        assert!(
            html.contains("<p style=\"margin: 0 0 14px;\">Yth. Ma&#39;ruf &lt;Amin&gt;,</p>"),
            "{html}"
        );
        assert!(
            html.contains("hasil uji\nkompetensi Anda adalah:</p>"),
            "{html}"
        );
        assert!(html.contains("<strong>KOMPETEN (K)</strong>"), "{html}");
        assert!(html.contains("<td style=\"padding: 2px 16px 2px 0; color: #555; vertical-align: top;\">Tempat</td>"), "{html}");
        assert!(
            html.contains(">LSP &amp; Co, Jl. Suprapto No. 26</td>"),
            "{html}"
        );
        assert!(html.contains(">Jam layanan</td>"), "{html}");
        assert!(
            html.contains("Hormat kami,<br>\nLSP Nusantara</p>"),
            "{html}"
        );
        assert!(!html.contains("<Amin>"));
    }

    #[test]
    fn a_sentence_with_a_colon_stays_a_sentence() {
        let text = "Tercatat pada 3 Desember 2026 pukul 09.00 WIB: dokumen dikirim lewat kurir, sesuai permintaan Anda.\n";
        assert_eq!(
            blocks(text),
            vec![Block::Paragraph(vec![text.trim().to_string()])]
        );
    }
}
