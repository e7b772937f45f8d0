//! Bytes of a file to text. Kubernetes tools write UTF-8, but files saved by Windows
//! tools (PowerShell's `>` redirection writes UTF-16LE with a byte order mark) and
//! editors arrive in other encodings; they are decoded here, or refused with a message
//! that says what the file is, instead of reaching the YAML parser as noise.

/// Why a file's bytes are not text netplay reads.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("the file is UTF-32 text; save it as UTF-8")]
    Utf32,
    #[error("the file is {0} with an odd number of bytes: it is cut off; save it again as UTF-8")]
    CutOff(Utf16),
    #[error("the file is {encoding} but is not valid UTF-16: unpaired surrogate {unit:#06x} at byte {byte}; save it again as UTF-8")]
    UnpairedSurrogate { encoding: Utf16, unit: u16, byte: usize },
}

/// How UTF-16 text was recognised: its byte order, and whether a byte order mark said so.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Utf16 {
    pub big_endian: bool,
    pub bom: bool,
}

impl std::fmt::Display for Utf16 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match (self.big_endian, self.bom) {
            (false, true) => "UTF-16LE text (byte order mark FF FE)",
            (true, true) => "UTF-16BE text (byte order mark FE FF)",
            (false, false) => "UTF-16LE text",
            (true, false) => "UTF-16BE text",
        })
    }
}

/// Decodes a file's bytes: UTF-8 (a byte order mark is dropped), UTF-16 LE or BE (with a
/// byte order mark, or recognised by the zero bytes of ASCII text). Bytes that are not
/// valid UTF-8 are replaced (U+FFFD), so the parser can point at them. `Err` says why
/// the bytes cannot be text: UTF-16 that is cut off or broken, or UTF-32.
pub fn decode_text(bytes: &[u8]) -> Result<String, DecodeError> {
    if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        return Ok(String::from_utf8_lossy(rest).into_owned());
    }
    if bytes.starts_with(&[0xFF, 0xFE, 0, 0]) || bytes.starts_with(&[0, 0, 0xFE, 0xFF]) {
        return Err(DecodeError::Utf32);
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        return utf16(rest, Endian::Little, true);
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        return utf16(rest, Endian::Big, true);
    }
    if let Some(endian) = looks_like_utf16(bytes) {
        return utf16(bytes, endian, false);
    }
    Ok(String::from_utf8_lossy(bytes).into_owned())
}

#[derive(Clone, Copy)]
enum Endian {
    Little,
    Big,
}

/// UTF-16 without a byte order mark: Kubernetes manifests are mostly ASCII, so in UTF-16
/// every other byte is zero. UTF-8 text never contains zero bytes.
fn looks_like_utf16(bytes: &[u8]) -> Option<Endian> {
    let sample = &bytes[..bytes.len().min(512)];
    if sample.len() < 4 {
        return None;
    }
    let pairs = sample.len() / 2;
    let zero_at = |parity: usize| sample.iter().skip(parity).step_by(2).filter(|&&b| b == 0).count();
    let (even, odd) = (zero_at(0), zero_at(1));
    // Mostly zeros on one side, none on the other.
    if odd * 10 >= pairs * 8 && even == 0 {
        Some(Endian::Little)
    } else if even * 10 >= pairs * 8 && odd == 0 {
        Some(Endian::Big)
    } else {
        None
    }
}

fn utf16(bytes: &[u8], endian: Endian, bom: bool) -> Result<String, DecodeError> {
    let encoding = Utf16 {
        big_endian: matches!(endian, Endian::Big),
        bom,
    };
    if bytes.len() % 2 != 0 {
        return Err(DecodeError::CutOff(encoding));
    }
    let units = bytes.chunks_exact(2).map(|c| match endian {
        Endian::Little => u16::from_le_bytes([c[0], c[1]]),
        Endian::Big => u16::from_be_bytes([c[0], c[1]]),
    });
    let mut text = String::with_capacity(bytes.len() / 2);
    for (i, ch) in char::decode_utf16(units).enumerate() {
        match ch {
            Ok(c) => text.push(c),
            Err(e) => {
                return Err(DecodeError::UnpairedSurrogate {
                    encoding,
                    unit: e.unpaired_surrogate(),
                    byte: i * 2 + usize::from(bom) * 2,
                })
            }
        }
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16le(s: &str, bom: bool) -> Vec<u8> {
        let mut out = if bom { vec![0xFF, 0xFE] } else { Vec::new() };
        out.extend(s.encode_utf16().flat_map(u16::to_le_bytes));
        out
    }

    #[test]
    fn encodings() {
        let text = "apiVersion: v1\nkind: Pod\nmetadata: {name: é}\n";
        assert_eq!(decode_text(text.as_bytes()).unwrap(), text);
        let mut bom = vec![0xEF, 0xBB, 0xBF];
        bom.extend_from_slice(text.as_bytes());
        assert_eq!(decode_text(&bom).unwrap(), text);
        assert_eq!(decode_text(&utf16le(text, true)).unwrap(), text);
        assert_eq!(decode_text(&utf16le(text, false)).unwrap(), text);
        let mut be = vec![0xFE, 0xFF];
        be.extend(text.encode_utf16().flat_map(u16::to_be_bytes));
        assert_eq!(decode_text(&be).unwrap(), text);
    }

    #[test]
    fn broken_utf16_is_refused_with_a_reason() {
        let mut cut = utf16le("kind: Pod\n", true);
        cut.pop();
        assert!(decode_text(&cut)
            .unwrap_err()
            .to_string()
            .contains("odd number of bytes"));
        let mut lone = vec![0xFF, 0xFE];
        lone.extend(0xD800u16.to_le_bytes());
        lone.extend(u16::from(b'a').to_le_bytes());
        let err = decode_text(&lone).unwrap_err().to_string();
        assert!(err.contains("unpaired surrogate 0xd800 at byte 2"), "{err}");
        assert!(decode_text(&[0xFF, 0xFE, 0, 0, b'a', 0, 0, 0])
            .unwrap_err()
            .to_string()
            .contains("UTF-32"));
    }

    #[test]
    fn invalid_utf8_is_kept_lossily() {
        assert_eq!(decode_text(b"a: \xff\n").unwrap(), "a: \u{fffd}\n");
        assert_eq!(decode_text(b"").unwrap(), "");
    }
}
