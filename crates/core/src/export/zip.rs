//! The zip format, as far as bundles need it: a writer whose bytes are a function of its
//! input (fixed dates and modes, deflated only when smaller), and a bounded reader of the
//! central directory and its entries.

use super::error::ExportError;
use super::format::BUNDLE_LEVEL;
use miniz_oxide::inflate::TINFLStatus;

const LOCAL_SIG: u32 = 0x0403_4b50;
const CENTRAL_SIG: u32 = 0x0201_4b50;
const END_SIG: u32 = 0x0605_4b50;
const LOCAL_LEN: usize = 30;
const CENTRAL_LEN: usize = 46;
const END_LEN: usize = 22;
const STORED: u16 = 0;
const DEFLATED: u16 = 8;
/// General purpose flags: bit 0 encrypted, bit 11 name is UTF-8.
const FLAG_ENCRYPTED: u16 = 1;
const FLAG_UTF8: u16 = 1 << 11;
/// MS-DOS time 00:00:00 and date 1980-01-01 (years since 1980 << 9 | month << 5 | day).
const DOS_TIME: u16 = 0;
const DOS_DATE: u16 = (1 << 5) | 1;
/// Made by Unix (3), zip spec 2.0; a regular file with mode 0644.
const MADE_BY: u16 = (3 << 8) | 20;
const EXTERNAL_ATTRS: u32 = 0o100_644 << 16;

#[derive(Default)]
pub(super) struct ZipWriter {
    out: Vec<u8>,
    central: Vec<u8>,
    count: u16,
}

fn put16(buf: &mut Vec<u8>, v: u16) {
    buf.extend_from_slice(&v.to_le_bytes());
}

fn put32(buf: &mut Vec<u8>, v: u32) {
    buf.extend_from_slice(&v.to_le_bytes());
}

/// A length or offset as the 32 bits a zip without zip64 has room for.
fn zip32(v: usize) -> Result<u32, ExportError> {
    u32::try_from(v).map_err(|_| ExportError::TooLarge {
        what: "the bundle",
        size: Some(v as u64),
        limit: u64::from(u32::MAX),
    })
}

impl ZipWriter {
    pub(super) fn add(&mut self, name: &str, data: &[u8]) -> Result<(), ExportError> {
        let crc = crc32fast::hash(data);
        let deflated = miniz_oxide::deflate::compress_to_vec(data, BUNDLE_LEVEL);
        let (method, body) = if deflated.len() < data.len() {
            (DEFLATED, deflated.as_slice())
        } else {
            (STORED, data)
        };
        let version_needed: u16 = if method == DEFLATED { 20 } else { 10 };
        let flags = if name.is_ascii() { 0 } else { FLAG_UTF8 };
        let name_len = u16::try_from(name.len()).map_err(|_| ExportError::BadPath {
            path: name.to_string(),
            reason: "the name is longer than a zip allows (65535 bytes)".to_string(),
        })?;
        let offset = zip32(self.out.len())?;
        let (csize, usize_) = (zip32(body.len())?, zip32(data.len())?);

        let out = &mut self.out;
        put32(out, LOCAL_SIG);
        put16(out, version_needed);
        put16(out, flags);
        put16(out, method);
        put16(out, DOS_TIME);
        put16(out, DOS_DATE);
        put32(out, crc);
        put32(out, csize);
        put32(out, usize_);
        put16(out, name_len);
        put16(out, 0); // extra field length
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(body);

        let c = &mut self.central;
        put32(c, CENTRAL_SIG);
        put16(c, MADE_BY);
        put16(c, version_needed);
        put16(c, flags);
        put16(c, method);
        put16(c, DOS_TIME);
        put16(c, DOS_DATE);
        put32(c, crc);
        put32(c, csize);
        put32(c, usize_);
        put16(c, name_len);
        put16(c, 0); // extra field length
        put16(c, 0); // comment length
        put16(c, 0); // disk number start
        put16(c, 0); // internal attributes
        put32(c, EXTERNAL_ATTRS);
        put32(c, offset);
        c.extend_from_slice(name.as_bytes());

        self.count = self.count.checked_add(1).ok_or(ExportError::TooManyFiles {
            what: "the bundle",
            count: usize::from(u16::MAX) + 1,
            limit: usize::from(u16::MAX) - 1,
        })?;
        Ok(())
    }

    pub(super) fn finish(mut self) -> Result<Vec<u8>, ExportError> {
        let offset = zip32(self.out.len())?;
        let size = zip32(self.central.len())?;
        self.out.append(&mut self.central);
        let out = &mut self.out;
        put32(out, END_SIG);
        put16(out, 0); // this disk
        put16(out, 0); // disk with the central directory
        put16(out, self.count);
        put16(out, self.count);
        put32(out, size);
        put32(out, offset);
        put16(out, 0); // comment length
        Ok(self.out)
    }
}

fn slice(bytes: &[u8], at: usize, len: usize) -> Option<&[u8]> {
    bytes.get(at..at.checked_add(len)?)
}

fn le16(bytes: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(slice(bytes, at, 2)?.try_into().ok()?))
}

fn le32(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(slice(bytes, at, 4)?.try_into().ok()?))
}

pub(super) fn archive_error(msg: &str) -> ExportError {
    ExportError::Archive(msg.to_string())
}

/// One central directory entry, as much as the reader needs.
pub(super) struct CentralEntry<'a> {
    pub name: &'a [u8],
    flags: u16,
    method: u16,
    crc: u32,
    compressed: u32,
    pub uncompressed: u32,
    local_offset: u32,
}

/// Finds the end of central directory record: the last signature from which the record
/// and its comment fit in the input.
fn find_end(bytes: &[u8]) -> Result<usize, ExportError> {
    let last = bytes
        .len()
        .checked_sub(END_LEN)
        .ok_or_else(|| archive_error("too short to be a zip archive"))?;
    let first = last.saturating_sub(usize::from(u16::MAX));
    (first..=last)
        .rev()
        .find(|&pos| {
            le32(bytes, pos) == Some(END_SIG)
                && le16(bytes, pos + 20).is_some_and(|comment| pos + END_LEN + usize::from(comment) <= bytes.len())
        })
        .ok_or_else(|| archive_error("no end of central directory record (is this a zip archive?)"))
}

pub(super) fn central_entries(bytes: &[u8]) -> Result<Vec<CentralEntry<'_>>, ExportError> {
    let end = find_end(bytes)?;
    let field16 = |at| le16(bytes, end + at).ok_or_else(|| archive_error("truncated end record"));
    let field32 = |at| le32(bytes, end + at).ok_or_else(|| archive_error("truncated end record"));
    let (disk, cd_disk, on_disk, count) = (field16(4)?, field16(6)?, field16(8)?, field16(10)?);
    let (cd_size, cd_offset) = (field32(12)?, field32(16)?);
    if count == u16::MAX || cd_size == u32::MAX || cd_offset == u32::MAX {
        return Err(archive_error("zip64 archives are not supported"));
    }
    if disk != 0 || cd_disk != 0 || on_disk != count {
        return Err(archive_error("archives split over several disks are not supported"));
    }
    let cd_start = cd_offset as usize;
    let central = cd_start
        .checked_add(cd_size as usize)
        .filter(|&cd_end| cd_end <= end)
        .and_then(|cd_end| bytes.get(cd_start..cd_end))
        .ok_or_else(|| archive_error("the central directory lies outside the archive"))?;

    let mut entries = Vec::with_capacity(usize::from(count).min(central.len() / CENTRAL_LEN));
    let mut pos = 0;
    for _ in 0..count {
        let truncated = || archive_error("the central directory is truncated or damaged");
        if le32(central, pos) != Some(CENTRAL_SIG) {
            return Err(truncated());
        }
        let f16 = |at| le16(central, pos + at).ok_or_else(truncated);
        let f32 = |at| le32(central, pos + at).ok_or_else(truncated);
        let (name_len, extra_len, comment_len) = (f16(28)?, f16(30)?, f16(32)?);
        let name = slice(central, pos + CENTRAL_LEN, usize::from(name_len)).ok_or_else(truncated)?;
        entries.push(CentralEntry {
            name,
            flags: f16(8)?,
            method: f16(10)?,
            crc: f32(16)?,
            compressed: f32(20)?,
            uncompressed: f32(24)?,
            local_offset: f32(42)?,
        });
        // Cannot overflow: `pos` was inside `central` and at most 3 × 65535 + 46 is added.
        pos += CENTRAL_LEN + usize::from(name_len) + usize::from(extra_len) + usize::from(comment_len);
    }
    Ok(entries)
}

/// The uncompressed data of one entry, checked against its size and CRC-32.
pub(super) fn entry_data(bytes: &[u8], entry: &CentralEntry<'_>, path: &str) -> Result<Vec<u8>, ExportError> {
    let problem = |problem: String| ExportError::File {
        path: path.to_string(),
        problem,
    };
    if entry.flags & FLAG_ENCRYPTED != 0 {
        return Err(problem("it is encrypted; bundles are not".to_string()));
    }
    if entry.compressed == u32::MAX || entry.uncompressed == u32::MAX || entry.local_offset == u32::MAX {
        return Err(problem("it uses zip64, which is not supported".to_string()));
    }
    let local = entry.local_offset as usize;
    let damaged = || problem("its local header is missing or damaged".to_string());
    if le32(bytes, local) != Some(LOCAL_SIG) {
        return Err(damaged());
    }
    // `local` is inside `bytes` now, so the sums below cannot overflow.
    let name_len = usize::from(le16(bytes, local + 26).ok_or_else(damaged)?);
    let extra_len = usize::from(le16(bytes, local + 28).ok_or_else(damaged)?);
    if slice(bytes, local + LOCAL_LEN, name_len) != Some(entry.name) {
        return Err(problem(
            "its local header names another file than the central directory".to_string(),
        ));
    }
    let data = slice(
        bytes,
        local + LOCAL_LEN + name_len + extra_len,
        entry.compressed as usize,
    )
    .ok_or_else(|| problem("its data runs past the end of the archive".to_string()))?;
    let size = entry.uncompressed as usize;
    let out = match entry.method {
        STORED if data.len() == size => data.to_vec(),
        STORED => return Err(problem("stored data and size disagree".to_string())),
        // One byte over the size, so that a stream of exactly `size` bytes can finish.
        DEFLATED => match miniz_oxide::inflate::decompress_to_vec_with_limit(data, size.saturating_add(1)) {
            Ok(out) => out,
            Err(e) if e.status == TINFLStatus::HasMoreOutput => {
                return Err(problem("it inflates to more than its recorded size".to_string()))
            }
            Err(e) => return Err(problem(format!("its compressed data is damaged ({e})"))),
        },
        other => {
            return Err(problem(format!(
                "it uses compression method {other}; bundles use stored (0) or deflate (8)"
            )))
        }
    };
    if out.len() != size {
        return Err(problem(format!(
            "it has {} bytes, the archive records {size}",
            out.len()
        )));
    }
    if crc32fast::hash(&out) != entry.crc {
        return Err(problem("its data is damaged (CRC-32 mismatch)".to_string()));
    }
    Ok(out)
}
