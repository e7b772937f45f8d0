//! A fingerprint of a text (64-bit FNV-1a over its UTF-8 bytes). build.rs writes one for
//! every built-in scenario file, and the app compares against them: whether work still
//! equals its example, and whether a fetched example file is the one this build was
//! made with. Not a security measure: a mismatch only means "a different text".

/// The FNV-1a 64-bit hash of `text`.
pub fn fingerprint(text: &str) -> u64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    text.bytes()
        .fold(OFFSET, |hash, byte| (hash ^ u64::from(byte)).wrapping_mul(PRIME))
}

#[cfg(test)]
mod tests {
    use super::fingerprint;

    /// The published FNV-1a 64 test vectors (the empty string and "a").
    #[test]
    fn matches_the_reference_values() {
        assert_eq!(fingerprint(""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fingerprint("a"), 0xaf63_dc4c_8601_ec8c);
    }
}
