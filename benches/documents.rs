//! The documents' figures for BENCHMARKS.md: every document of a
//! 1,000-participant batch, a single letter, and the peak memory while
//! typesetting (this process's high-water mark, `VmHWM`).
//!
//! `cargo bench --bench documents`

use std::time::Instant;

#[path = "support/memory.rs"]
mod memory;
use memory::{children_high_water_mib, high_water_mib};

use sertibot::documents::{DocumentKit, Kind, Letterhead, sample};

fn main() {
    let kit = DocumentKit::embedded(
        Letterhead {
            name: "LSP P1 Politeknik STMI Jakarta".into(),
            address: "Jl. Letjen Suprapto No. 26, Jakarta Pusat".into(),
            phone: "(021) 4241234".into(),
            website: "lsp.example.ac.id".into(),
            email: "lsp@example.ac.id".into(),
            license_no: "KEP.1234/BNSP/XII/2026".into(),
            city: "Jakarta".into(),
        },
        chrono_tz::Asia::Jakarta,
    )
    .with_typesetter(sertibot::documents::sandbox::Typesetter::this_program(
        Default::default(),
        Some(env!("CARGO_BIN_EXE_sertibot").into()),
    ));
    println!("memory before any typesetting: {:.1} MiB", high_water_mib());

    // A single letter, warm (the fonts read once): the median of 20.
    let small = sample::facts();
    let small_numbers = sample::numbers(&small);
    let letter = small
        .due()
        .into_iter()
        .find(|d| d.kind == Kind::SuratBk)
        .expect("a BK letter");
    kit.make_all(&small, &[letter], &small_numbers)
        .expect("the letter");
    let mut times: Vec<f64> = (0..20)
        .map(|_| {
            let start = Instant::now();
            kit.make_all(&small, &[letter], &small_numbers)
                .expect("the letter");
            start.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    times.sort_by(f64::total_cmp);
    println!(
        "a single BK letter: median {:.1} ms, max {:.1} ms",
        times[10], times[19]
    );

    // Every document of a 1,000-participant batch.
    let facts = sample::facts_of(1000);
    let numbers = sample::numbers(&facts);
    let due = facts.due();
    let start = Instant::now();
    let made = kit.make_all(&facts, &due, &numbers).expect("the documents");
    let elapsed = start.elapsed();
    let bytes: usize = made.iter().map(|d| d.bytes.len()).sum();
    println!(
        "every document of a 1,000-participant batch: {} files ({} BK letters), {:.1} MiB, in {:.2} s",
        made.len(),
        made.iter().filter(|d| d.kind == Kind::SuratBk).count(),
        bytes as f64 / 1024.0 / 1024.0,
        elapsed.as_secs_f64()
    );
    for kind in [Kind::BeritaAcara, Kind::PermohonanBlangko, Kind::PaketBnsp] {
        if let Some(doc) = made.iter().find(|d| d.kind == kind) {
            println!(
                "  {}: {:.0} KiB",
                doc.file_name,
                doc.bytes.len() as f64 / 1024.0
            );
        }
    }
    println!("peak memory (VmHWM): {:.1} MiB", high_water_mib());

    // The same batch with names of 200 characters (titles, long family
    // names), each typeset so that it wraps in its cell.
    let mut facts = facts;
    for (i, person) in facts.state.participants.values_mut().enumerate() {
        person.name = format!(
            "Dr. Ir. {i:04} {} M.T.",
            "Panjangnamanyasekali ".repeat(9).trim_end()
        );
    }
    let start = Instant::now();
    let made = kit.make_all(&facts, &due, &numbers).expect("the documents");
    println!(
        "the same with names of {} characters: {} files in {:.2} s",
        facts
            .state
            .participants
            .values()
            .next()
            .map_or(0, |p| p.name.chars().count()),
        made.len(),
        start.elapsed().as_secs_f64()
    );
    println!(
        "peak memory of this process (VmHWM): {:.1} MiB; of the largest typesetting worker: {:.1} MiB",
        high_water_mib(),
        children_high_water_mib()
    );
}
