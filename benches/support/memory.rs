//! This process's peak resident memory, for the benchmarks' figures.

/// The high-water mark of this process's resident memory (`VmHWM`), in MiB.
pub fn high_water_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// The largest peak resident memory among this process's finished child
/// processes (the typesetting workers), in MiB: `getrusage(RUSAGE_CHILDREN)`.
#[allow(dead_code)] // the documents benchmark's; the report's starts no worker
pub fn children_high_water_mib() -> f64 {
    // SAFETY: getrusage only writes the struct it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let status = unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) };
    if status != 0 {
        return 0.0;
    }
    usage.ru_maxrss as f64 / 1024.0
}
