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
    let (profile, metadata) =
        ancillary_sizes(&bytes).ok_or_else(|| fail("the logo is not a whole PNG file"))?;
    if profile > MAX_LOGO_PROFILE {
        return Err(fail(&format!(
            "the logo's colour profile is {} KiB, more than the {} KiB allowed (save it without a profile)",
            profile.div_ceil(1024),
            MAX_LOGO_PROFILE / 1024
        )));
    }
    if metadata > MAX_LOGO_METADATA {
        return Err(fail(&format!(
            "the logo carries {} KiB of metadata (text, EXIF), more than the {} KiB allowed (save it without)",
            metadata.div_ceil(1024),
            MAX_LOGO_METADATA / 1024
        )));
    }
    Ok(bytes)
}

/// Largest colour profile (a PNG's `iCCP` chunk, compressed) in a logo:
/// a profile unpacks before the picture is drawn, and a small file can
/// hold one that unpacks into gigabytes.
const MAX_LOGO_PROFILE: usize = 64 * 1024;
/// Most bytes of text and EXIF chunks in a logo.
const MAX_LOGO_METADATA: usize = 64 * 1024;

/// The sizes of a PNG's colour profile and of its metadata chunks (text,
/// EXIF), read from the chunks' lengths without decoding anything; none
/// when the chunks do not add up to the file.
fn ancillary_sizes(png: &[u8]) -> Option<(usize, usize)> {
    let (mut profile, mut metadata) = (0usize, 0usize);
    let mut at = 8;
    while at < png.len() {
        let length = u32::from_be_bytes(png.get(at..at + 4)?.try_into().ok()?) as usize;
        let kind = png.get(at + 4..at + 8)?;
        match kind {
            b"iCCP" => profile += length,
            b"tEXt" | b"zTXt" | b"iTXt" | b"eXIf" => metadata += length,
            b"IEND" => return Some((profile, metadata)),
            _ => {}
        }
        at = at.checked_add(12)?.checked_add(length)?;
    }
    None
}
