//! Typst as a library: a closed little world of one template, the shared
//! letterhead, the facts as `/data.json` and the LSP's logo, with the fonts
//! embedded in the binary. Nothing is read from the machine and nothing is
//! downloaded: a template that asks for any other file or a package is told
//! it does not exist.
//!
//! Everything a user typed reaches the template only inside `/data.json`,
//! so a name such as `Ma'ruf #1 $_*\` is a string to Typst, never markup.

use std::sync::LazyLock;

use chrono::{DateTime, Datelike, Timelike, Utc};
use typst::diag::{FileError, FileResult, Severity, SourceDiagnostic};
use typst::foundations::{Bytes, Datetime, Smart};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World, WorldExt};
use typst_layout::PagedDocument;

/// The shared letterhead and helpers every document template imports as
/// `#import "/kop.typ": *`.
pub const SHARED: &str = "kop.typ";

/// Why a template cannot make its document: the file, the line (1-based)
/// and what is wrong, as Typst says it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize)]
#[error("{file}{}: {message}", if *line == 0 { String::new() } else { format!(", line {line}") })]
pub struct TemplateFault {
    pub file: String,
    /// The line, from 1; 0 when the template as a whole ran over a limit.
    pub line: usize,
    pub message: String,
    /// Whether trying again later may succeed: the typesetter was stopped
    /// with the service, or could not be started; a template's own fault,
    /// or one over a limit, stays so.
    #[serde(default)]
    pub passing: bool,
}

/// One template's name (as its file is called) and text.
#[derive(Debug, Clone, Copy)]
pub struct TemplateText<'a> {
    pub file: &'a str,
    pub text: &'a str,
}

/// The fonts, read once on first use: only the serif family the templates
/// use (and a monospace one for numbers), so the rest of the embedded font
/// data is never paged in.
struct Fonts {
    fonts: Vec<Font>,
    book: LazyHash<FontBook>,
    library: LazyHash<Library>,
}

static FONTS: LazyLock<Fonts> = LazyLock::new(|| {
    let fonts: Vec<Font> = typst_assets::fonts()
        .flat_map(|data| Font::iter(Bytes::new(data)))
        .filter(|font| {
            let family = font.info().family.as_str();
            family == "Libertinus Serif" || family == "DejaVu Sans Mono"
        })
        .collect();
    let book = FontBook::from_fonts(&fonts);
    Fonts {
        fonts,
        book: LazyHash::new(book),
        library: LazyHash::new(Library::builder().build()),
    }
});

fn file_id(path: &str) -> FileId {
    // Only these four fixed paths are ever interned (Typst's interner is global).
    RootedPath::new(
        VirtualRoot::Project,
        VirtualPath::new(path).expect("a fixed, valid path"),
    )
    .intern()
}

/// The world one document is compiled in.
struct DocumentWorld {
    main: Source,
    shared: Source,
    data: Bytes,
    logo: Option<Bytes>,
    today: DateTime<Utc>,
}

impl World for DocumentWorld {
    fn library(&self) -> &LazyHash<Library> {
        &FONTS.library
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &FONTS.book
    }

    fn main(&self) -> FileId {
        self.main.id()
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.main.id() {
            Ok(self.main.clone())
        } else if id == self.shared.id() {
            Ok(self.shared.clone())
        } else {
            Err(FileError::NotFound(
                id.vpath().get_without_slash().to_string().into(),
            ))
        }
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if id == file_id("/data.json") {
            Ok(self.data.clone())
        } else if id == file_id("/logo") {
            self.logo
                .clone()
                .ok_or_else(|| FileError::NotFound("logo".into()))
        } else {
            self.source(id)
                .map(|s| Bytes::from_string(s.text().to_string()))
        }
    }

    fn font(&self, index: usize) -> Option<Font> {
        FONTS.fonts.get(index).cloned()
    }

    /// "Today" is the document's own date (the event it records), so the
    /// same facts always make the same document.
    fn today(&self, _offset: Option<typst::foundations::Duration>) -> Option<Datetime> {
        Datetime::from_ymd(
            self.today.year(),
            u8::try_from(self.today.month()).ok()?,
            u8::try_from(self.today.day()).ok()?,
        )
    }
}

/// Checks a template's syntax alone (cheap: nothing is typeset).
///
/// # Errors
/// The first syntax error, with its line.
pub fn syntax(template: TemplateText<'_>) -> Result<(), TemplateFault> {
    let source = Source::detached(template.text);
    let (errors, _warnings) = source.root().errors_and_warnings();
    let Some(error) = errors.into_iter().next() else {
        return Ok(());
    };
    let range = match error.span.get() {
        typst::syntax::DiagSpanKind::Number { num, sub_range, .. } => source.range(num, sub_range),
        typst::syntax::DiagSpanKind::Range { range, .. } => Some(range),
        typst::syntax::DiagSpanKind::Detached => None,
    };
    let line = range
        .and_then(|range| source.lines().byte_to_line(range.start))
        .map_or(1, |l| l + 1);
    Err(TemplateFault {
        file: template.file.into(),
        line,
        message: error.message.to_string(),
        passing: false,
    })
}

/// Typesets `template` with `data` (and the letterhead `shared`, the
/// `logo`'s bytes if any). `dated` is the document's date.
///
/// # Errors
/// [`TemplateFault`] naming the template file and line that failed.
pub fn typeset(
    template: TemplateText<'_>,
    shared: TemplateText<'_>,
    data: &serde_json::Value,
    logo: Option<&[u8]>,
    dated: DateTime<Utc>,
) -> Result<PagedDocument, TemplateFault> {
    let world = DocumentWorld {
        main: Source::new(file_id("/main.typ"), template.text.to_string()),
        shared: Source::new(file_id(&format!("/{SHARED}")), shared.text.to_string()),
        data: Bytes::new(serde_json::to_vec(data).unwrap_or_default()),
        logo: logo.map(|l| Bytes::new(l.to_vec())),
        today: dated,
    };
    let outcome = typst::compile::<PagedDocument>(&world).output;
    // Typst memoizes across compilations; a batch of letters would keep
    // every earlier one's layout in memory without this.
    typst::comemo::evict(0);
    outcome.map_err(|errors| fault(&world, &errors, template.file, shared.file))
}

/// The first error, placed in its file and line.
fn fault(
    world: &DocumentWorld,
    errors: &[SourceDiagnostic],
    main_file: &str,
    shared_file: &str,
) -> TemplateFault {
    let error = errors
        .iter()
        .find(|e| e.severity == Severity::Error)
        .or(errors.first());
    let Some(error) = error else {
        return TemplateFault {
            file: main_file.into(),
            line: 1,
            message: "the template failed without saying why".into(),
            passing: false,
        };
    };
    let source = error
        .span
        .id()
        .and_then(|id| world.source(id).ok())
        .unwrap_or_else(|| world.main.clone());
    let line = world
        .range(error.span)
        .and_then(|range| source.lines().byte_to_line(range.start))
        .map_or(1, |l| l + 1);
    let file = if source.id() == world.shared.id() {
        shared_file
    } else {
        main_file
    };
    let mut message = error.message.to_string();
    if let Some(hint) = error.hints.first() {
        message.push_str(&format!(" ({})", hint.v));
    }
    TemplateFault {
        file: file.into(),
        line,
        message,
        passing: false,
    }
}

/// The PDF of a typeset document. `ident` names the document stably (its
/// kind, batch and number), `dated` is its date: the same facts give the
/// same bytes.
pub fn pdf(document: &PagedDocument, ident: &str, dated: DateTime<Utc>) -> Vec<u8> {
    let timestamp = Datetime::from_ymd_hms(
        dated.year(),
        dated.month() as u8,
        dated.day() as u8,
        dated.hour() as u8,
        dated.minute() as u8,
        dated.second() as u8,
    )
    .map(typst_pdf::Timestamp::new_utc);
    let options = typst_pdf::PdfOptions {
        ident: Smart::Custom(ident.to_string()),
        creator: Smart::Custom(Some("sertibot".into())),
        timestamp,
        // Untagged: these papers are printed and signed, and a tagged
        // 1,000-participant berita acara is 861 KiB against 73 KiB (see
        // BENCHMARKS.md), well within BNSP's 5 MB either way.
        tagged: false,
        ..Default::default()
    };
    // Export fails only for standards' conformance, which is not asked for.
    typst_pdf::pdf(document, &options).unwrap_or_default()
}

/// The first page as a PNG, at `pixels_per_point` (2 gives a sharp picture
/// for a phone).
pub fn png(document: &PagedDocument, pixels_per_point: f64) -> Vec<u8> {
    let Some(page) = document.pages().first() else {
        return Vec::new();
    };
    let options = typst_render::RenderOptions {
        pixel_per_pt: pixels_per_point.into(),
        ..Default::default()
    };
    typst_render::render(page, &options)
        .encode_png()
        .unwrap_or_default()
}
