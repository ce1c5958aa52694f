//! Looking at where Typst put each piece of text, as a reader would: on
//! every page of every kind of document, at real lengths and batch sizes,
//! no two pieces of text overlap, none crosses a table's rule, and none
//! lies in the page's outer edge. A test that reads a PDF's text cannot see
//! text printed over text; this one can.

use typst::layout::{Frame, FrameItem, Point, Transform};
use typst::visualize::Geometry;
use typst_layout::PagedDocument;

/// A piece of text where it was put: from its cap height down to its
/// baseline (the band lines are spaced by), in points.
#[derive(Debug, Clone)]
pub struct Placed {
    pub text: String,
    pub x0: f64,
    pub y0: f64,
    pub x1: f64,
    pub y1: f64,
}

/// A straight stroke (a table's rule, the letterhead's line), in points.
#[derive(Debug, Clone, Copy)]
struct Rule {
    from: (f64, f64),
    to: (f64, f64),
}

/// How much two things may touch without a reader seeing one over the
/// other (kerning, a rule drawn along a cell's edge).
const SLACK: f64 = 0.6;

/// What is wrong with one page, in words a test failure can show.
pub fn faults(document: &PagedDocument, edge_pt: f64) -> Vec<String> {
    let mut found = Vec::new();
    for (index, page) in document.pages().iter().enumerate() {
        let mut texts = Vec::new();
        let mut rules = Vec::new();
        walk(&page.frame, Transform::identity(), &mut texts, &mut rules);
        let (width, height) = (page.frame.width().to_pt(), page.frame.height().to_pt());
        let page_no = index + 1;
        for t in &texts {
            if t.x0 < edge_pt - SLACK
                || t.y0 < edge_pt - SLACK
                || t.x1 > width - edge_pt + SLACK
                || t.y1 > height - edge_pt + SLACK
            {
                found.push(format!(
                    "page {page_no}: '{}' lies in the page's edge",
                    t.text
                ));
            }
        }
        for (i, a) in texts.iter().enumerate() {
            for b in &texts[i + 1..] {
                if overlap(a.x0, a.x1, b.x0, b.x1) > SLACK
                    && overlap(a.y0, a.y1, b.y0, b.y1) > SLACK
                {
                    found.push(format!(
                        "page {page_no}: '{}' is printed over '{}'",
                        a.text, b.text
                    ));
                }
            }
            for rule in &rules {
                if crosses(a, rule) {
                    found.push(format!("page {page_no}: a rule crosses '{}'", a.text));
                }
            }
        }
    }
    found
}

/// Each page's text, its pieces joined by spaces in the order laid out.
pub fn page_texts(document: &PagedDocument) -> Vec<String> {
    document
        .pages()
        .iter()
        .map(|page| {
            let (mut texts, mut rules) = (Vec::new(), Vec::new());
            walk(&page.frame, Transform::identity(), &mut texts, &mut rules);
            texts
                .iter()
                .map(|t| t.text.as_str())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

/// Every text and rule of `frame`, placed by `at`.
fn walk(frame: &Frame, at: Transform, texts: &mut Vec<Placed>, rules: &mut Vec<Rule>) {
    for (pos, item) in frame.items() {
        let here = at.pre_concat(Transform::translate(pos.x, pos.y));
        match item {
            FrameItem::Group(group) => {
                walk(&group.frame, here.pre_concat(group.transform), texts, rules)
            }
            FrameItem::Text(text) if !text.text.trim().is_empty() => {
                let cap = text.font.metrics().cap_height.at(text.size);
                let corners = [
                    Point::new(typst::layout::Abs::zero(), -cap),
                    Point::new(text.width(), typst::layout::Abs::zero()),
                ]
                .map(|p| p.transform(here));
                let (xs, ys) = (corners.map(|p| p.x.to_pt()), corners.map(|p| p.y.to_pt()));
                texts.push(Placed {
                    text: text.text.to_string(),
                    x0: xs[0].min(xs[1]),
                    x1: xs[0].max(xs[1]),
                    y0: ys[0].min(ys[1]),
                    y1: ys[0].max(ys[1]),
                });
            }
            FrameItem::Shape(shape, _) if shape.stroke.is_some() => {
                let point = |p: Point| {
                    let p = p.transform(here);
                    (p.x.to_pt(), p.y.to_pt())
                };
                match &shape.geometry {
                    Geometry::Line(to) => rules.push(Rule {
                        from: point(Point::zero()),
                        to: point(*to),
                    }),
                    Geometry::Rect(size) => {
                        let [a, b, c, d] = [
                            Point::zero(),
                            Point::new(size.x, typst::layout::Abs::zero()),
                            Point::new(size.x, size.y),
                            Point::new(typst::layout::Abs::zero(), size.y),
                        ]
                        .map(point);
                        for (from, to) in [(a, b), (b, c), (c, d), (d, a)] {
                            rules.push(Rule { from, to });
                        }
                    }
                    Geometry::Curve(_) => {}
                }
            }
            _ => {}
        }
    }
}

/// The length two intervals share.
fn overlap(a0: f64, a1: f64, b0: f64, b1: f64) -> f64 {
    (a1.min(b1) - a0.max(b0)).max(0.0)
}

/// Whether an upright or level rule runs through the inside of a text.
fn crosses(text: &Placed, rule: &Rule) -> bool {
    let ((x0, y0), (x1, y1)) = (rule.from, rule.to);
    if (x0 - x1).abs() < 0.01 {
        x0 > text.x0 + SLACK
            && x0 < text.x1 - SLACK
            && overlap(y0.min(y1), y0.max(y1), text.y0, text.y1) > SLACK
    } else if (y0 - y1).abs() < 0.01 {
        y0 > text.y0 + SLACK
            && y0 < text.y1 - SLACK
            && overlap(x0.min(x1), x0.max(x1), text.x0, text.x1) > SLACK
    } else {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::documents::engine::{self, TemplateText};
    use crate::documents::sample;
    use crate::documents::sandbox::Output;
    use crate::documents::tests::typesetter;
    use crate::documents::{DocumentKit, Kind, Letterhead};

    fn kit() -> DocumentKit {
        DocumentKit::embedded(
            Letterhead {
                name: "Lembaga Sertifikasi Profesi P1 Politeknik Sekolah Tinggi Manajemen Industri Jakarta".into(),
                address: "Jl. Letjen Suprapto No. 26, Cempaka Putih, Jakarta Pusat, DKI Jakarta 10510".into(),
                phone: "(021) 4241234".into(),
                website: "lsp.stmi.example.ac.id".into(),
                email: "lsp@stmi.example.ac.id".into(),
                license_no: "KEP.1234/BNSP/XII/2026 tentang Lisensi Lembaga Sertifikasi Profesi P1 Politeknik STMI Jakarta".into(),
            city: "Jakarta".into(),
            },
            chrono_tz::Asia::Jakarta,
        )
        .with_typesetter(typesetter())
    }

    /// Every document of a batch of `count` with names of 80 characters
    /// (titles included), a scheme and a place of 160 and reasons of 200,
    /// laid out and looked at.
    fn look_at_every_kind(count: usize) -> Vec<String> {
        let kit = kit();
        let mut facts = sample::facts_of(count);
        for (i, person) in facts.state.participants.values_mut().enumerate() {
            let name = format!(
                "Prof. Dr. Ir. Raden Ajeng Kusumawardhani {i:03} Sastrodiningrat, S.T., M.T., Ph.D."
            );
            person.name = format!("{name:.80}");
        }
        facts.info.scheme = "Operator Mesin Produksi Berbasis Komputer Numerik (CNC) untuk Industri Manufaktur Logam dan Otomotif Tingkat Lanjut dengan Sistem Kendali Terpadu Versi 2026".chars().take(160).collect();
        facts.info.place = Some("Tempat Uji Kompetensi Workshop Pemesinan Gedung C Lantai 3 Politeknik STMI Jakarta, Jalan Letnan Jenderal Suprapto Nomor 26, Cempaka Putih, Jakarta Pusat 10510".chars().take(160).collect());
        // Signers with titled names and NIPs at their longest (30 characters),
        // and BK letters naming many long unit codes.
        for member in &mut facts.members {
            member.name = format!(
                "Dr. Ir. {} Kusumawardhana Prawiranegara, S.T., M.Sc., IPU",
                member.name
            );
            member.nip = Some("19650101 199003 1 002 / K-0001".into());
        }
        for person in facts.state.participants.values_mut() {
            if !person.units_bk.is_empty() {
                person.units_bk = (1..=12)
                    .map(|i| format!("M.702090.{i:03}.01-PEMROGRAMAN-CNC-LANJUT"))
                    .collect();
            }
        }
        // Every committee member marked present at the meeting (the one who
        // declined included): the minutes list them all and they all sign.
        for member in &facts.members {
            facts.state.attendance.insert(member.id, true);
        }
        for rsvp in facts.state.rsvps.values_mut() {
            if rsvp.reason.is_some() {
                rsvp.reason = Some("Bertugas dinas luar kota untuk mendampingi asesmen di tempat uji kompetensi mitra industri di Cikarang, Bekasi, sehingga tidak dapat hadir secara langsung dalam rapat pleno penetapan hasil asesmen kali ini.".chars().take(200).collect());
            }
        }
        let numbers = sample::numbers(&facts);
        crate::documents::tests::keep_for_looking(&kit, &facts, &numbers, &format!("{count}-"));
        let mut faults = Vec::new();
        let mut seen = std::collections::BTreeSet::new();
        for due in facts.due() {
            // One of each kind: the letters and receipts share a template.
            if !seen.insert(due.kind) || matches!(due.kind, Kind::DaftarPeserta | Kind::PaketBnsp) {
                continue;
            }
            let job = kit.job(&facts, &due, &numbers, Output::Pdf { ident: "x".into() });
            let document = crate::documents::sandbox::lay_out(&job)
                .unwrap_or_else(|e| panic!("{}: {e:?}", job.file));
            // A centimetre of every edge stays empty (the footer sits in
            // the bottom margin, above that).
            for fault in super::faults(&document, 28.0) {
                faults.push(format!("{count} participants, {}: {fault}", job.file));
            }
            if let Some(fault) = signature_alone(&document) {
                faults.push(format!("{count} participants, {}: {fault}", job.file));
            }
        }
        faults
    }

    /// A signature is never alone on its page: the page of the last
    /// signer's NIP (every signer here has one) also holds the closing
    /// sentence or the place and date.
    fn signature_alone(document: &PagedDocument) -> Option<String> {
        let pages = page_texts(document);
        let (index, page) = pages
            .iter()
            .enumerate()
            .rev()
            .find(|(_, t)| t.contains("NIP."))?;
        let closing = ["Demikian", "terima kasih", "Jakarta,"];
        (!closing.iter().any(|c| page.contains(c))).then(|| {
            format!(
                "page {}: the signature stands without its closing or date",
                index + 1
            )
        })
    }

    #[test]
    fn every_kind_holds_its_layout_at_one_twelve_and_two_hundred_participants() {
        let mut faults = Vec::new();
        for count in [1, 12, 200] {
            faults.extend(look_at_every_kind(count));
        }
        faults.truncate(40);
        assert!(faults.is_empty(), "{}", faults.join("\n"));
    }

    #[test]
    fn the_check_sees_text_printed_over_text_and_across_a_rule() {
        let template = "#set page(width: 10cm, height: 6cm, margin: 1.5cm)\n#place(dx: 0pt, dy: 0pt)[Nama asesi yang panjang]\n#place(dx: 0.5cm, dy: 0pt)[Sertifikat]\n#place(dx: 0pt, dy: 1.5cm)[Lewat garis]\n#place(dx: 0.6cm, dy: 1cm, line(length: 1cm, angle: 90deg))\n";
        let kop = "#let data = json(\"/data.json\")\n";
        let document = engine::typeset(
            TemplateText {
                file: "coba.typ",
                text: template,
            },
            TemplateText {
                file: "kop.typ",
                text: kop,
            },
            &serde_json::json!({}),
            None,
            chrono::Utc::now(),
        )
        .unwrap();
        let found = faults(&document, 28.0).join("\n");
        assert!(found.contains("printed over"), "{found}");
        assert!(found.contains("a rule crosses 'Lewat garis'"), "{found}");
    }
}
