//! Reading the operator's files for the documents (the logo, templates,
//! BNSP's template) within bounds: a file too large, or a picture that
//! would unpack into a huge one, is refused with its path.

use std::path::Path;

use super::kit::KitError;

/// Largest logo file read.
pub const MAX_LOGO_BYTES: u64 = 1024 * 1024;
/// Largest logo picture, in pixels per side.
const MAX_LOGO_SIDE: u32 = 2000;

/// Reads at most `limit` bytes of `path`; a longer file is refused.
pub(super) fn read_bounded(path: &Path, limit: u64) -> Result<Vec<u8>, KitError> {
    use std::io::Read;
    let fail = |reason: String| KitError::Read {
        path: path.display().to_string(),
        reason,
    };
    let file = std::fs::File::open(path).map_err(|e| fail(e.to_string()))?;
    let mut bytes = Vec::new();
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| fail(e.to_string()))?;
    if bytes.len() as u64 > limit {
        return Err(fail(format!("it is larger than {} KiB", limit / 1024)));
    }
    Ok(bytes)
}

/// The logo: a PNG of at most [`MAX_LOGO_BYTES`] and [`MAX_LOGO_SIDE`]
/// pixels a side (a small file cannot unpack into a huge picture).
pub(super) fn read_logo(path: &Path) -> Result<Vec<u8>, KitError> {
    let bytes = read_bounded(path, MAX_LOGO_BYTES)?;
    let fail = |reason: &str| KitError::Read {
        path: path.display().to_string(),
        reason: reason.into(),
    };
    if !bytes.starts_with(b"\x89PNG\r\n\x1a\n") || bytes.len() < 24 || &bytes[12..16] != b"IHDR" {
        return Err(fail("the logo must be a PNG picture"));
    }
    let side =
        |at: usize| u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
    if side(16) > MAX_LOGO_SIDE || side(20) > MAX_LOGO_SIDE {
        return Err(fail("the logo is larger than 2000×2000 pixels"));
    }
    Ok(bytes)
}
