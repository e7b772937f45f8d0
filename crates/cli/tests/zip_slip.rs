//! Bundles that would write outside a directory when unpacked (zip slip: `..` or absolute
//! paths, in the zip or in `bundle.json`) and bundles whose files do not match their
//! checksums are refused by every command that reads a bundle, before any cluster is
//! contacted (docs/robustness.md). The zips are made here byte by byte, as an attacker
//! would, not with netplay's writer, which refuses such paths itself.

use sha2::{Digest, Sha256};
use std::path::PathBuf;
use std::process::Command;

const POD: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n";

/// CRC-32 (IEEE), bit by bit: small inputs only.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A zip of stored (uncompressed) entries, names exactly as given.
fn zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let (mut out, mut central) = (Vec::new(), Vec::new());
    for (name, data) in entries {
        let offset = out.len() as u32;
        let crc = crc32(data);
        let header = |sig: u32, central: bool| {
            let mut h = sig.to_le_bytes().to_vec();
            if central {
                h.extend(20u16.to_le_bytes()); // made by
            }
            for v in [10u16, 0, 0, 0, 0x21] {
                h.extend(v.to_le_bytes()); // version, flags, method, time, date
            }
            h.extend(crc.to_le_bytes());
            h.extend((data.len() as u32).to_le_bytes());
            h.extend((data.len() as u32).to_le_bytes());
            h.extend((name.len() as u16).to_le_bytes());
            h.extend(0u16.to_le_bytes()); // extra
            if central {
                h.extend([0u8; 8]); // comment, disk, internal attributes, external (half)
                h.extend(0u16.to_le_bytes()); // external (other half)
                h.extend(offset.to_le_bytes());
            }
            h.extend(name.as_bytes());
            h
        };
        out.extend(header(0x0403_4b50, false));
        out.extend_from_slice(data);
        central.extend(header(0x0201_4b50, true));
    }
    let (cd_offset, cd_size) = (out.len() as u32, central.len() as u32);
    out.extend(central);
    out.extend(0x0605_4b50u32.to_le_bytes());
    out.extend([0u8; 4]);
    out.extend((entries.len() as u16).to_le_bytes());
    out.extend((entries.len() as u16).to_le_bytes());
    out.extend(cd_size.to_le_bytes());
    out.extend(cd_offset.to_le_bytes());
    out.extend(0u16.to_le_bytes());
    out
}

fn sha256_hex(data: &[u8]) -> String {
    Sha256::digest(data).iter().map(|b| format!("{b:02x}")).collect()
}

/// `bundle.json` listing `files` (path, content) with their real checksums.
fn manifest(files: &[(&str, &str)]) -> String {
    let listed: Vec<String> = files
        .iter()
        .map(|(p, t)| {
            format!(
                r#"{{"path":{p:?},"sha256":"{}","size":{}}}"#,
                sha256_hex(t.as_bytes()),
                t.len()
            )
        })
        .collect();
    format!(
        r#"{{"apiVersion":"v1","kind":"List","items":[],"formatVersion":2,"generator":"evil","scenario":"x","files":[{}]}}"#,
        listed.join(",")
    )
}

fn write_zip(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("netplay-zip-slip-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("create a temporary directory");
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write the zip");
    path
}

/// Runs netplay with a kubeconfig that points nowhere: a command that got past reading
/// the bundle would fail on the cluster instead, with another message.
fn netplay(args: &[&str], bundle: &PathBuf) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_netplay"))
        .args(args)
        .arg(bundle)
        .env("KUBECONFIG", "/nonexistent/kubeconfig")
        .output()
        .expect("run netplay");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn assert_refused(bundle: &PathBuf, why: &str) {
    for args in [
        &["apply"][..],
        &["apply", "--dry-run=server"],
        &["diff", "--server-side"],
    ] {
        let (code, stderr) = netplay(args, bundle);
        assert_ne!(code, 0, "{args:?} accepted {}", bundle.display());
        assert!(
            stderr.contains("refusing") && stderr.contains(why),
            "{args:?} on {}: {stderr}",
            bundle.display()
        );
        assert!(
            !stderr.contains("kubeconfig"),
            "{args:?} went on to the cluster: {stderr}"
        );
    }
}

#[test]
fn a_bundle_with_a_parent_directory_path_is_refused() {
    let files = [("../escaped.yaml", POD)];
    let bytes = zip(&[
        ("bundle.json", manifest(&files).as_bytes()),
        ("../escaped.yaml", POD.as_bytes()),
    ]);
    assert_refused(&write_zip("dotdot.zip", &bytes), "`..` is not allowed");
    // Deeper, and only in the zip (bundle.json lists a harmless name).
    let bytes = zip(&[
        ("bundle.json", manifest(&[("a.yaml", POD)]).as_bytes()),
        ("a.yaml", POD.as_bytes()),
        ("app/../../../etc/cron.d/x", POD.as_bytes()),
    ]);
    assert_refused(&write_zip("deep.zip", &bytes), "`..` is not allowed");
}

#[test]
fn a_bundle_with_an_absolute_path_is_refused() {
    let files = [("/etc/evil.yaml", POD)];
    let bytes = zip(&[
        ("bundle.json", manifest(&files).as_bytes()),
        ("/etc/evil.yaml", POD.as_bytes()),
    ]);
    assert_refused(&write_zip("absolute.zip", &bytes), "absolute paths are not allowed");
    let bytes = zip(&[
        ("bundle.json", manifest(&[("C:/evil.yaml", POD)]).as_bytes()),
        ("C:/evil.yaml", POD.as_bytes()),
    ]);
    assert_refused(&write_zip("drive.zip", &bytes), "drive letters");
    let bytes = zip(&[
        ("bundle.json", manifest(&[("a\\..\\evil.yaml", POD)]).as_bytes()),
        ("a\\..\\evil.yaml", POD.as_bytes()),
    ]);
    assert_refused(&write_zip("backslash.zip", &bytes), "backslashes are not allowed");
}

#[test]
fn a_bundle_whose_file_does_not_match_its_checksum_is_refused() {
    let tampered = POD.replace("web", "wab");
    let bytes = zip(&[
        ("bundle.json", manifest(&[("pod.yaml", POD)]).as_bytes()),
        ("pod.yaml", tampered.as_bytes()),
    ]);
    assert_refused(&write_zip("tampered.zip", &bytes), "its sha256 is");
    // The same zip with the right checksum is read: the refusal above is the checksum's.
    let bytes = zip(&[
        ("bundle.json", manifest(&[("pod.yaml", &tampered)]).as_bytes()),
        ("pod.yaml", tampered.as_bytes()),
    ]);
    let (code, stderr) = netplay(&["apply"], &write_zip("good.zip", &bytes));
    assert!(!stderr.contains("refusing"), "{stderr}");
    assert_ne!(code, 0, "there is no cluster to apply to");
}
