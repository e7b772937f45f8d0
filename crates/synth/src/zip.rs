//! Zip archives written by hand for tests of the bundle reader: stored (uncompressed)
//! entries in the given order, with whatever names and bytes a test wants — a manifest
//! that lies, directories, names the reader must refuse. Written here, not by core's own
//! writer, so that a reader test never only proves that core reads what core writes.

/// A zip of stored entries, in the given order (a name ending in `/` is a directory).
pub fn stored(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, data) in entries {
        let crc = crc32(data);
        let offset = len32(out.len());
        for is_central in [false, true] {
            let buf = if is_central { &mut central } else { &mut out };
            buf.extend(if is_central { 0x0201_4b50u32 } else { 0x0403_4b50 }.to_le_bytes());
            if is_central {
                buf.extend(20u16.to_le_bytes()); // made by
            }
            buf.extend(20u16.to_le_bytes()); // version needed
            buf.extend([0u8; 4]); // flags, method: stored
            buf.extend(0u16.to_le_bytes()); // time
            buf.extend(0x21u16.to_le_bytes()); // date: 1980-01-01
            buf.extend(crc.to_le_bytes());
            buf.extend(len32(data.len()).to_le_bytes()); // compressed size
            buf.extend(len32(data.len()).to_le_bytes()); // size
            buf.extend((name.len() as u16).to_le_bytes());
            buf.extend(0u16.to_le_bytes()); // extra field length
            if is_central {
                buf.extend([0u8; 6]); // comment length, disk, internal attributes
                buf.extend(0u32.to_le_bytes()); // external attributes
                buf.extend(offset.to_le_bytes());
            }
            buf.extend(name.as_bytes());
        }
        out.extend_from_slice(data);
    }
    let at = len32(out.len());
    let size = len32(central.len());
    out.extend(central);
    out.extend(0x0605_4b50u32.to_le_bytes());
    out.extend([0u8; 4]); // disk numbers
    out.extend((entries.len() as u16).to_le_bytes());
    out.extend((entries.len() as u16).to_le_bytes());
    out.extend(size.to_le_bytes());
    out.extend(at.to_le_bytes());
    out.extend(0u16.to_le_bytes()); // comment length
    out
}

fn len32(n: usize) -> u32 {
    u32::try_from(n).expect("a test zip stays under 4 GiB")
}

/// CRC-32 (IEEE), bit by bit: slow and obviously right, which is what a test wants.
pub fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for b in data {
        crc ^= u32::from(*b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_of_the_check_string() {
        // The standard check value of CRC-32/ISO-HDLC.
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }

    #[test]
    fn the_end_record_points_at_the_central_directory() {
        let zip = stored(&[("a.yaml", b"x: 1\n"), ("dir/", b"")]);
        let end = zip.len() - 22;
        assert_eq!(zip[end..end + 4], 0x0605_4b50u32.to_le_bytes());
        let at = u32::from_le_bytes([zip[end + 16], zip[end + 17], zip[end + 18], zip[end + 19]]) as usize;
        assert_eq!(zip[at..at + 4], 0x0201_4b50u32.to_le_bytes());
        assert_eq!(u16::from_le_bytes([zip[end + 10], zip[end + 11]]), 2);
    }
}
