//! Export: bundles (write, read back, refuse tampering), the multi-document YAML stream
//! and share links. Garbage must never panic; `unzip`, when the machine has it, must read
//! what we write.

use netplay_core::export::{
    self, bundle, decode_share, encode_share, multi_document_yaml, read_bundle, sanitize_path, ExportError, Mismatch,
};
use netplay_core::{load, SourceFile};
use proptest::prelude::*;
use serde::Deserialize as _;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::Command;

fn file(name: &str, text: &str) -> SourceFile {
    SourceFile::new(name, text)
}

/// A small scenario: nested directories, a non-ASCII name, an empty file, a file without
/// a final newline, one large enough to be deflated and some too small to be.
fn sample() -> Vec<SourceFile> {
    vec![
        file(
            "workloads/pods.yaml",
            &"apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  namespace: default\n---\n".repeat(20),
        ),
        file("policy.yaml", "# deny all\nkind: NetworkPolicy\n"),
        file("workloads/empty.yaml", ""),
        file("café/ñ.yaml", "a: 1"),
    ]
}

fn sorted(mut files: Vec<SourceFile>) -> Vec<SourceFile> {
    files.sort_by(|a, b| a.name.cmp(&b.name));
    files
}

// ---------------------------------------------------------------------------------------
// An independent look at the zip: walks the local headers one after another (the reader
// under test uses the central directory), and a writer of stored zips for crafting
// tampered bundles whose CRCs are right.

struct Entry {
    name: String,
    method: u16,
    /// Where its (compressed) data starts in the zip, and how long it is.
    data_at: usize,
    csize: usize,
    time: u16,
    date: u16,
    data: Vec<u8>,
}

fn le16(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn le32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn walk_local_headers(zip: &[u8]) -> Vec<Entry> {
    let mut out = Vec::new();
    let mut pos = 0;
    while le32(zip, pos) == 0x0403_4b50 {
        let method = le16(zip, pos + 8);
        let csize = le32(zip, pos + 18) as usize;
        let usize_ = le32(zip, pos + 22) as usize;
        let name_len = le16(zip, pos + 26) as usize;
        let extra_len = le16(zip, pos + 28) as usize;
        let name = String::from_utf8(zip[pos + 30..pos + 30 + name_len].to_vec()).unwrap();
        let start = pos + 30 + name_len + extra_len;
        let raw = &zip[start..start + csize];
        let data = match method {
            0 => raw.to_vec(),
            8 => miniz_oxide::inflate::decompress_to_vec(raw).unwrap(),
            m => panic!("unexpected method {m}"),
        };
        assert_eq!(data.len(), usize_);
        assert_eq!(crc32fast::hash(&data), le32(zip, pos + 14));
        out.push(Entry {
            name,
            method,
            data_at: start,
            csize,
            time: le16(zip, pos + 10),
            date: le16(zip, pos + 12),
            data,
        });
        pos = start + csize;
    }
    assert_eq!(le32(zip, pos), 0x0201_4b50, "the central directory follows the entries");
    out
}

/// The bundle.json that `bundle` writes for `files`.
fn manifest_of(files: &[SourceFile]) -> String {
    let zip = bundle("sample", files).unwrap();
    let entries = walk_local_headers(&zip);
    String::from_utf8(entries[0].data.clone()).unwrap()
}

fn sha256_hex(data: &[u8]) -> String {
    Sha256::digest(data).iter().map(|b| format!("{b:02x}")).collect()
}

/// A stored zip of `bundle.json` (as given) and the files.
fn crafted(manifest: &str, files: &[(&str, &str)]) -> Vec<u8> {
    let mut entries: Vec<(&str, &[u8])> = vec![("bundle.json", manifest.as_bytes())];
    entries.extend(files.iter().map(|(n, t)| (*n, t.as_bytes())));
    netplay_synth::zip::stored(&entries)
}

fn sample_pairs() -> Vec<(String, String)> {
    sorted(sample()).into_iter().map(|f| (f.name, f.text)).collect()
}

fn as_refs(pairs: &[(String, String)]) -> Vec<(&str, &str)> {
    pairs.iter().map(|(n, t)| (n.as_str(), t.as_str())).collect()
}

// ---------------------------------------------------------------------------------------
// Writing and reading back

#[test]
fn bundle_round_trips() {
    let files = sample();
    let zip = bundle("default-deny", &files).unwrap();
    let back = read_bundle(&zip).unwrap();
    assert_eq!(back.scenario, "default-deny");
    assert_eq!(back.generator, format!("netplay {}", env!("CARGO_PKG_VERSION")));
    assert_eq!(back.files, sorted(files));
}

#[test]
fn bundle_layout_and_manifest() {
    let files = sample();
    let zip = bundle("default-deny", &files).unwrap();
    let entries = walk_local_headers(&zip);
    let names: Vec<&str> = entries.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "bundle.json",
            "café/ñ.yaml",
            "policy.yaml",
            "workloads/empty.yaml",
            "workloads/pods.yaml"
        ]
    );
    for e in &entries {
        assert_eq!((e.time, e.date), (0, 0x21), "{}: 1980-01-01 00:00", e.name);
    }
    let method = |name: &str| entries.iter().find(|e| e.name == name).unwrap().method;
    assert_eq!(method("workloads/pods.yaml"), 8, "repetitive text is deflated");
    assert_eq!(method("café/ñ.yaml"), 0, "tiny text is stored");

    let pods = &files[0].text;
    let expected = format!(
        r#"{{
  "apiVersion": "v1",
  "kind": "List",
  "items": [],
  "formatVersion": 2,
  "generator": "netplay {version}",
  "scenario": "default-deny",
  "files": [
    {{
      "path": "café/ñ.yaml",
      "sha256": "{s1}",
      "size": 4
    }},
    {{
      "path": "policy.yaml",
      "sha256": "{s2}",
      "size": 31
    }},
    {{
      "path": "workloads/empty.yaml",
      "sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      "size": 0
    }},
    {{
      "path": "workloads/pods.yaml",
      "sha256": "{s4}",
      "size": {n4}
    }}
  ]
}}
"#,
        version = env!("CARGO_PKG_VERSION"),
        s1 = sha256_hex(b"a: 1"),
        s2 = sha256_hex(b"# deny all\nkind: NetworkPolicy\n"),
        s4 = sha256_hex(pods.as_bytes()),
        n4 = pods.len(),
    );
    assert_eq!(String::from_utf8(entries[0].data.clone()).unwrap(), expected);
}

#[test]
fn bundle_is_deterministic() {
    let files = sample();
    let a = bundle("s", &files).unwrap();
    let b = bundle("s", &files).unwrap();
    assert_eq!(a, b);
    let mut reversed = files.clone();
    reversed.reverse();
    assert_eq!(bundle("s", &reversed).unwrap(), a, "input order does not matter");
    // Non-canonical spellings of the same paths give the same bundle.
    let respelled: Vec<SourceFile> = files
        .iter()
        .map(|f| file(&format!("./{}", f.name.replace('/', "//")), &f.text))
        .collect();
    assert_eq!(bundle("s", &respelled).unwrap(), a);
    assert_ne!(bundle("t", &files).unwrap(), a, "the name is part of the bundle");
}

#[test]
fn an_empty_scenario_is_a_bundle_too() {
    let zip = bundle("nothing", &[]).unwrap();
    let back = read_bundle(&zip).unwrap();
    assert_eq!(back.scenario, "nothing");
    assert!(back.files.is_empty());
}

#[test]
fn every_scenario_of_the_library_round_trips() {
    for files in library() {
        let zip = bundle("x", &files).unwrap();
        let back = read_bundle(&zip).unwrap();
        assert_eq!(back.files, sorted(files.clone()));
        assert_eq!(decode_share(&encode_share(&files)).unwrap(), files);
    }
}

/// The scenarios of tests/scenarios, each as its YAML files named relative to its folder.
fn library() -> Vec<Vec<SourceFile>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/scenarios");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    assert!(dirs.len() > 10, "the scenario library is there");
    dirs.iter()
        .map(|dir| {
            let mut files: Vec<SourceFile> = std::fs::read_dir(dir)
                .unwrap()
                .map(|e| e.unwrap().path())
                .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
                .map(|p| {
                    let name = p.file_name().unwrap().to_string_lossy().into_owned();
                    file(&name, &std::fs::read_to_string(&p).unwrap())
                })
                .collect();
            files.sort_by(|a, b| a.name.cmp(&b.name));
            files
        })
        // Scenarios written as JSON only (what `kubectl get -o json` writes) have no YAML.
        .filter(|files| !files.is_empty())
        .collect()
}

// ---------------------------------------------------------------------------------------
// Paths

#[test]
fn paths_are_sanitised() {
    for (name, path) in [
        ("a.yaml", "a.yaml"),
        ("./a.yaml", "a.yaml"),
        ("dir//sub/./a.yaml", "dir/sub/a.yaml"),
        ("dir with space/ü.yaml", "dir with space/ü.yaml"),
        ("...yaml", "...yaml"),
        ("a..b/c", "a..b/c"),
    ] {
        assert_eq!(sanitize_path(name).unwrap(), path, "{name:?}");
    }
    for name in [
        "",
        ".",
        "./",
        "/",
        "/etc/passwd",
        "../a.yaml",
        "dir/../../a.yaml",
        "dir/..",
        "dir\\a.yaml",
        "C:/a.yaml",
        "c:a.yaml",
        "dir/",
        "a\nb.yaml",
        "a\0.yaml",
    ] {
        let err = sanitize_path(name).unwrap_err();
        assert!(
            matches!(&err, ExportError::BadPath { path, .. } if path == name),
            "{name:?}: {err}"
        );
        assert_eq!(err.file(), Some(name));
    }
}

#[test]
fn bundle_refuses_bad_names_and_says_which() {
    let ok = file("ok.yaml", "a: 1\n");
    for (name, says) in [
        ("/abs.yaml", "absolute"),
        ("../up.yaml", "`..`"),
        ("", "empty"),
        ("dir\\win.yaml", "backslash"),
        ("bundle.json", "reserved"),
        ("./bundle.json", "reserved"),
    ] {
        let err = bundle("s", &[ok.clone(), file(name, "b: 2\n")]).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains(&format!("{name:?}")), "{msg}");
        assert!(msg.contains(says), "{msg}");
    }
}

#[test]
fn bundle_refuses_duplicates_and_file_directory_clashes() {
    let err = bundle("s", &[file("a.yaml", "1"), file("./a.yaml", "2")]).unwrap_err();
    assert_eq!(err, ExportError::DuplicatePath { path: "a.yaml".into() });
    assert!(err.to_string().contains("\"a.yaml\""), "{err}");

    let err = bundle("s", &[file("a", "1"), file("a-b", "2"), file("a/b.yaml", "3")]).unwrap_err();
    assert_eq!(err.file(), Some("a"), "{err}");
    assert!(err.to_string().contains("a/b.yaml"), "{err}");

    let err = bundle("s", &[file("bundle.json/x.yaml", "1")]).unwrap_err();
    assert_eq!(err.file(), Some("bundle.json"), "{err}");
}

#[test]
fn read_bundle_keeps_paths_safe() {
    let manifest = |path: &str| {
        format!(
            r#"{{"formatVersion":1,"generator":"g","scenario":"s","files":[{{"path":{path:?},"sha256":"{}","size":1}}]}}"#,
            sha256_hex(b"x")
        )
    };
    for evil in ["../evil.yaml", "/etc/evil.yaml", "a\\..\\evil.yaml"] {
        let err = read_bundle(&crafted(&manifest("ok.yaml"), &[(evil, "x")])).unwrap_err();
        assert_eq!(err.file(), Some(evil), "{err}");
        let err = read_bundle(&crafted(&manifest(evil), &[("ok.yaml", "x")])).unwrap_err();
        assert_eq!(err.file(), Some(evil), "{err}");
    }
}

// ---------------------------------------------------------------------------------------
// Tampering

/// Where `needle` starts in `haystack` (once).
fn find(haystack: &[u8], needle: &[u8]) -> usize {
    let hits: Vec<usize> = haystack
        .windows(needle.len())
        .enumerate()
        .filter(|(_, w)| *w == needle)
        .map(|(i, _)| i)
        .collect();
    assert_eq!(hits.len(), 1, "{:?} occurs once", String::from_utf8_lossy(needle));
    hits[0]
}

#[test]
fn a_flipped_byte_in_a_file_is_caught_and_named() {
    let zip = bundle("s", &sample()).unwrap();
    // A stored file: its text stands in the zip as it is.
    let mut bad = zip.clone();
    bad[find(&zip, b"# deny all\nkind") + 3] ^= 0x20;
    let err = read_bundle(&bad).unwrap_err();
    assert_eq!(err.file(), Some("policy.yaml"), "{err}");
    assert!(err.to_string().contains("policy.yaml"), "{err}");

    // A deflated file: flip a byte in the middle of its compressed data.
    let pods = &walk_local_headers(&zip)[4];
    assert_eq!((pods.name.as_str(), pods.method), ("workloads/pods.yaml", 8));
    for (i, at) in (pods.data_at..pods.data_at + pods.csize).enumerate() {
        let mut bad = zip.clone();
        bad[at] ^= 1 << (i % 8);
        let err = read_bundle(&bad).unwrap_err();
        assert_eq!(err.file(), Some("workloads/pods.yaml"), "byte {at}: {err}");
    }
}

#[test]
fn changed_content_with_a_good_crc_fails_the_checksum() {
    let pairs = sample_pairs();
    let manifest = manifest_of(&sample());
    let mut files = as_refs(&pairs);
    assert_eq!(
        read_bundle(&crafted(&manifest, &files)).unwrap().files,
        sorted(sample())
    );

    files[1].1 = "# deny all\nkind: NetworkPolicY\n"; // policy.yaml, same size
    let err = read_bundle(&crafted(&manifest, &files)).unwrap_err();
    match &err {
        ExportError::Mismatch {
            path,
            problem: Mismatch::Checksum { listed, actual },
        } => {
            assert_eq!(path, "policy.yaml");
            assert_eq!(actual, &sha256_hex(files[1].1.as_bytes()));
            assert_ne!(listed, actual);
        }
        other => panic!("{other}"),
    }
    assert!(err.to_string().contains("policy.yaml"), "{err}");

    files[1].1 = "# deny all\n"; // another size
    let err = read_bundle(&crafted(&manifest, &files)).unwrap_err();
    assert!(
        matches!(&err, ExportError::Mismatch { path, problem: Mismatch::Size { listed: 31, actual: 11 } } if path == "policy.yaml"),
        "{err}"
    );
}

#[test]
fn a_missing_or_extra_file_is_refused() {
    let pairs = sample_pairs();
    let manifest = manifest_of(&sample());
    let mut files = as_refs(&pairs);
    let removed = files.remove(2);
    let err = read_bundle(&crafted(&manifest, &files)).unwrap_err();
    assert_eq!(
        err,
        ExportError::Mismatch {
            path: removed.0.to_string(),
            problem: Mismatch::Missing
        }
    );
    assert!(err.to_string().contains("workloads/empty.yaml"), "{err}");

    let mut files = as_refs(&pairs);
    files.push(("extra/evil.yaml", "kind: ClusterRoleBinding\n"));
    let err = read_bundle(&crafted(&manifest, &files)).unwrap_err();
    assert_eq!(
        err,
        ExportError::Mismatch {
            path: "extra/evil.yaml".into(),
            problem: Mismatch::Unlisted
        }
    );
    assert!(err.to_string().contains("extra/evil.yaml"), "{err}");
}

#[test]
fn an_edited_bundle_json_is_refused() {
    let pairs = sample_pairs();
    let files = as_refs(&pairs);
    let manifest = manifest_of(&sample());

    // A checksum edited by hand.
    let sum = sha256_hex(b"a: 1");
    let other = format!("{}{}", if sum.starts_with('0') { '1' } else { '0' }, &sum[1..]);
    let edited = manifest.replace(&sum, &other);
    assert_ne!(edited, manifest);
    let err = read_bundle(&crafted(&edited, &files)).unwrap_err();
    assert_eq!(err.file(), Some("café/ñ.yaml"), "{err}");

    // A file taken off the list.
    let value: serde_json::Value = serde_json::from_str(&manifest).unwrap();
    let mut shorter = value.clone();
    shorter["files"].as_array_mut().unwrap().remove(1);
    let err = read_bundle(&crafted(&shorter.to_string(), &files)).unwrap_err();
    assert_eq!(
        err,
        ExportError::Mismatch {
            path: "policy.yaml".into(),
            problem: Mismatch::Unlisted
        }
    );

    // A listed file that is not there.
    let mut longer = value.clone();
    longer["files"].as_array_mut().unwrap().push(serde_json::json!({
        "path": "ghost.yaml", "sha256": sha256_hex(b""), "size": 0
    }));
    let err = read_bundle(&crafted(&longer.to_string(), &files)).unwrap_err();
    assert_eq!(err.file(), Some("ghost.yaml"), "{err}");
    assert!(err.to_string().contains("missing"), "{err}");

    // Listed twice.
    let mut twice = value.clone();
    let first = twice["files"][0].clone();
    twice["files"].as_array_mut().unwrap().push(first);
    let err = read_bundle(&crafted(&twice.to_string(), &files)).unwrap_err();
    assert!(matches!(err, ExportError::DuplicatePath { .. }), "{err}");

    // Another format version, no version, not JSON, no bundle.json at all.
    let mut v2 = value.clone();
    v2["formatVersion"] = 3.into();
    let err = read_bundle(&crafted(&v2.to_string(), &files)).unwrap_err();
    assert!(err.to_string().contains("format version 3 is not supported"), "{err}");
    let mut none = value.clone();
    none.as_object_mut().unwrap().remove("formatVersion");
    assert!(matches!(
        read_bundle(&crafted(&none.to_string(), &files)),
        Err(ExportError::Manifest(_))
    ));
    let err = read_bundle(&crafted("{not json", &files)).unwrap_err();
    assert!(matches!(err, ExportError::Manifest(_)), "{err}");
    let mut no_manifest: Vec<(&str, &[u8])> = files.iter().map(|(n, t)| (*n, t.as_bytes())).collect();
    no_manifest.sort();
    let err = read_bundle(&netplay_synth::zip::stored(&no_manifest)).unwrap_err();
    assert!(err.to_string().contains("bundle.json: missing"), "{err}");
}

#[test]
fn read_bundle_accepts_other_orders_directories_and_uppercase_hex() {
    let pairs = sample_pairs();
    let mut files = as_refs(&pairs);
    files.reverse();
    let mut value: serde_json::Value = serde_json::from_str(&manifest_of(&sample())).unwrap();
    for f in value["files"].as_array_mut().unwrap() {
        let upper = f["sha256"].as_str().unwrap().to_uppercase();
        f["sha256"] = upper.into();
    }
    let mut entries: Vec<(&str, &[u8])> = vec![("café/", b""), ("workloads/", b"")];
    entries.extend(files.iter().map(|(n, t)| (*n, t.as_bytes())));
    let text = value.to_string();
    entries.push(("bundle.json", text.as_bytes()));
    let back = read_bundle(&netplay_synth::zip::stored(&entries)).unwrap();
    assert_eq!(back.files, sorted(sample()), "files come back in bundle.json's order");
}

// ---------------------------------------------------------------------------------------
// Garbage

/// xorshift64*: a fixed-seed generator, so that failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = Rng(0x5eed_cafe_f00d_beef);
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    for round in 0..3000 {
        let n = (rng.next() % 600) as usize;
        let mut bytes = rng.bytes(n);
        if round % 3 == 1 {
            // Give the reader something to chew on: an end record pointing into the noise.
            bytes.extend(0x0605_4b50u32.to_le_bytes());
            bytes.extend([0, 0, 0, 0]);
            bytes.extend(rng.bytes(12));
            bytes.extend([0, 0]);
        }
        assert!(read_bundle(&bytes).is_err());
        let _ = decode_share(&String::from_utf8_lossy(&bytes));
        let b64: String = bytes.iter().map(|b| alphabet[(*b % 64) as usize] as char).collect();
        assert!(decode_share(&format!("v1.{b64}")).is_err());
        // Random data that is valid deflate (stored blocks) but not JSON.
        let deflated = miniz_oxide::deflate::compress_to_vec(&bytes, 0);
        let payload = base64_url(&deflated);
        let err = decode_share(&format!("v1.{payload}")).unwrap_err();
        assert!(matches!(err, ExportError::ShareJson(_)), "{err}");
    }
}

#[test]
fn every_truncation_and_every_flipped_byte_of_a_small_bundle_is_caught() {
    let files = vec![
        file("a.yaml", "kind: Pod\n"),
        file("dir/b.yaml", "kind: Service\n".repeat(8).as_str()),
    ];
    let zip = bundle("small", &files).unwrap();
    assert!(zip.len() < 2000);
    for len in 0..zip.len() {
        assert!(read_bundle(&zip[..len]).is_err(), "truncated to {len} bytes");
    }
    // A flipped byte either is caught or lands in a field that does not matter (times,
    // attributes, versions): the files that come back are never different ones.
    let expected = sorted(files);
    for at in 0..zip.len() {
        for mask in [0x01, 0x10, 0x80, 0xff] {
            let mut bad = zip.clone();
            bad[at] ^= mask;
            if let Ok(back) = read_bundle(&bad) {
                assert_eq!(back.files, expected, "byte {at} ^ {mask:#x}");
                assert_eq!(back.scenario, "small");
            }
        }
    }
}

#[test]
fn zip_features_we_do_not_read_are_named() {
    let ok = crafted("{}", &[("a.yaml", "x")]);
    // Encrypted (flag bit 0) in the central directory.
    // The first central directory entry: bundle.json's.
    let cd = ok.windows(4).position(|w| w == 0x0201_4b50u32.to_le_bytes()).unwrap();
    let mut enc = ok.clone();
    enc[cd + 8] |= 1;
    let err = read_bundle(&enc).unwrap_err();
    assert!(err.to_string().contains("encrypted"), "{err}");
    // Another compression method (bzip2 = 12).
    let mut bz = ok.clone();
    bz[cd + 10] = 12;
    let err = read_bundle(&bz).unwrap_err();
    assert!(err.to_string().contains("compression method 12"), "{err}");
    // Sizes over the limits are refused before anything is inflated.
    let mut huge = ok.clone();
    huge[cd + 24..cd + 28].copy_from_slice(&(257u32 << 20).to_le_bytes());
    let err = read_bundle(&huge).unwrap_err();
    assert!(err.to_string().contains("256 MiB"), "{err}");
    assert!(read_bundle(b"").is_err());
    assert!(read_bundle(b"PK\x05\x06").is_err());
}

#[test]
fn a_deflate_bomb_is_refused() {
    // 300 entries each claiming 1 MiB: the total passes 256 MiB before any is inflated.
    let zeros = vec![0u8; 1 << 20];
    let deflated = miniz_oxide::deflate::compress_to_vec(&zeros, 9);
    let names: Vec<String> = (0..300).map(|i| format!("f{i}.yaml")).collect();
    let mut zip = Vec::new();
    let mut central = Vec::new();
    for name in &names {
        let offset = zip.len() as u32;
        let header = |sig: u32| {
            let mut h = sig.to_le_bytes().to_vec();
            if sig == 0x0201_4b50 {
                h.extend(20u16.to_le_bytes());
            }
            h.extend(20u16.to_le_bytes());
            h.extend(0u16.to_le_bytes());
            h.extend(8u16.to_le_bytes());
            h.extend([0u8; 4]);
            h.extend(crc32fast::hash(&zeros).to_le_bytes());
            h.extend((deflated.len() as u32).to_le_bytes());
            h.extend((zeros.len() as u32).to_le_bytes());
            h.extend((name.len() as u16).to_le_bytes());
            h.extend(0u16.to_le_bytes());
            if sig == 0x0201_4b50 {
                h.extend([0u8; 10]);
                h.extend(offset.to_le_bytes());
            }
            h.extend(name.as_bytes());
            h
        };
        zip.extend(header(0x0403_4b50));
        zip.extend(&deflated);
        central.extend(header(0x0201_4b50));
    }
    let (cd_offset, cd_size) = (zip.len() as u32, central.len() as u32);
    zip.extend(central);
    zip.extend(0x0605_4b50u32.to_le_bytes());
    zip.extend([0u8; 4]);
    zip.extend(300u16.to_le_bytes());
    zip.extend(300u16.to_le_bytes());
    zip.extend(cd_size.to_le_bytes());
    zip.extend(cd_offset.to_le_bytes());
    zip.extend([0u8; 2]);
    let err = read_bundle(&zip).unwrap_err();
    assert!(
        matches!(err, ExportError::TooLarge { limit, .. } if limit == export::MAX_TOTAL_SIZE),
        "{err}"
    );
    assert!(err.to_string().contains("256 MiB"), "{err}");
}

// ---------------------------------------------------------------------------------------
// One YAML stream

#[test]
fn multi_document_yaml_keeps_text_and_comments() {
    let files = vec![
        file("z.yaml", "# last\nkind: C\n"),
        file("b/own-separator.yaml", "# header\n---\nkind: B1\n---\nkind: B2\n"),
        file("a.yaml", "\u{feff}kind: A # inline\n  # odd comment\nno-newline: true"),
        file("d.yaml", "%YAML 1.2\n---\nkind: D\n"),
    ];
    assert_eq!(
        multi_document_yaml(&files),
        "# Source: a.yaml\n\
         kind: A # inline\n  # odd comment\nno-newline: true\n\
         # Source: b/own-separator.yaml\n\
         # header\n---\nkind: B1\n---\nkind: B2\n\
         ...\n\
         # Source: d.yaml\n\
         %YAML 1.2\n---\nkind: D\n\
         ---\n\
         # Source: z.yaml\n\
         # last\nkind: C\n"
    );
    let docs: Vec<serde_yaml::Value> = serde_yaml::Deserializer::from_str(&multi_document_yaml(&files))
        .map(|d| serde_yaml::Value::deserialize(d).unwrap())
        .collect();
    let kinds: Vec<&str> = docs.iter().map(|d| d["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["A", "B1", "B2", "D", "C"]);
    assert_eq!(multi_document_yaml(&[]), "");
}

#[test]
fn multi_document_yaml_of_the_library_loads_to_the_same_connections() {
    for files in library() {
        let stream = multi_document_yaml(&files);
        let one = load(&[file("all.yaml", &stream)]);
        let many = load(&files);
        assert_eq!(one.connlist(), many.connlist(), "{stream}");
        // NP0007 (a file without objects, such as an empty list) is about a file: merged
        // into one stream, that file is gone.
        let count = |s: &netplay_core::Scenario| s.diagnostics.iter().filter(|d| d.code != "NP0007").count();
        assert_eq!(count(&one), count(&many), "{stream}");
    }
}

// ---------------------------------------------------------------------------------------
// Share links

fn base64_url(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[test]
fn share_round_trips() {
    let files = vec![
        file("tab 1", "kind: Pod\n# ünïcödé ✓\n"),
        file("", ""),
        file("b.yaml", &"x".repeat(100_000)),
    ];
    let link = encode_share(&files);
    assert!(link.starts_with("v1."));
    assert!(
        link[3..]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
        "{link}"
    );
    assert!(link.len() < 1000, "compressed: {} bytes", link.len());
    assert_eq!(decode_share(&link).unwrap(), files, "order and names are kept");
    assert_eq!(
        decode_share(&format!("  {link}\n")).unwrap(),
        files,
        "whitespace is ignored"
    );
    assert_eq!(encode_share(&files), link, "deterministic");
    assert_eq!(decode_share(&encode_share(&[])).unwrap(), vec![]);
}

#[test]
fn share_accepts_padding() {
    let link = encode_share(&[file("a", "b")]);
    let padded = format!("{link}{}", "=".repeat((4 - (link.len() - 3) % 4) % 4));
    assert_eq!(decode_share(&padded).unwrap(), vec![file("a", "b")]);
}

#[test]
fn share_errors_say_what_is_wrong() {
    let err = decode_share("v2.abc").unwrap_err();
    assert_eq!(
        err,
        ExportError::ShareVersion {
            found: Some("v2".into())
        }
    );
    assert!(err.to_string().contains("\"v2\" is not supported"), "{err}");
    let err = decode_share("https://example.com/").unwrap_err();
    assert_eq!(err, ExportError::ShareVersion { found: None });
    assert!(err.to_string().contains("not a netplay share link"), "{err}");
    assert!(matches!(
        decode_share(""),
        Err(ExportError::ShareVersion { found: None })
    ));

    let err = decode_share("v1.abc$def").unwrap_err();
    assert!(matches!(err, ExportError::ShareBase64(_)), "{err}");
    assert!(err.to_string().contains("bad base64"), "{err}");

    // 0xff: a block of the reserved type 3.
    let err = decode_share(&format!("v1.{}", base64_url(&[0xff; 16]))).unwrap_err();
    assert!(matches!(err, ExportError::ShareCompression(_)), "{err}");
    assert!(err.to_string().contains("bad compressed data"), "{err}");
    // A stream cut short.
    let deflated = miniz_oxide::deflate::compress_to_vec(br#"{"files":[{"name":"a","text":"abcdefgh"}]}"#, 9);
    let err = decode_share(&format!("v1.{}", base64_url(&deflated[..deflated.len() / 2]))).unwrap_err();
    assert!(matches!(err, ExportError::ShareCompression(_)), "{err}");

    for json in [
        &b"not json"[..],
        b"[]",
        b"{\"files\":[{\"name\":1,\"text\":\"\"}]}",
        b"\xff\xfe",
    ] {
        let err = decode_share(&format!(
            "v1.{}",
            base64_url(&miniz_oxide::deflate::compress_to_vec(json, 9))
        ))
        .unwrap_err();
        assert!(matches!(err, ExportError::ShareJson(_)), "{err}");
        assert!(err.to_string().contains("bad JSON"), "{err}");
    }
}

#[test]
fn share_limits() {
    let err = decode_share(&format!("v1.{}", "A".repeat(4 << 20))).unwrap_err();
    assert!(matches!(err, ExportError::TooLarge { .. }), "{err}");
    assert!(err.to_string().contains("4 MiB"), "{err}");

    // 17 MiB of text compresses to a short link but inflates past the limit.
    let big = vec![file("big", &" ".repeat(17 << 20))];
    let link = encode_share(&big);
    assert!(link.len() < (1 << 20));
    let err = decode_share(&link).unwrap_err();
    assert!(matches!(err, ExportError::TooLarge { .. }), "{err}");
    assert!(err.to_string().contains("16 MiB"), "{err}");

    let many: Vec<SourceFile> = (0..201).map(|i| file(&format!("f{i}"), "")).collect();
    let err = decode_share(&encode_share(&many)).unwrap_err();
    assert_eq!(
        err,
        ExportError::TooManyFiles {
            what: "the share link",
            count: 201,
            limit: 200
        }
    );
    assert_eq!(decode_share(&encode_share(&many[..200])).unwrap().len(), 200);
}

// ---------------------------------------------------------------------------------------
// Interoperability with Info-ZIP, when the machine has it

fn has(tool: &str) -> bool {
    Command::new(tool).arg("-v").output().is_ok()
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("netplay-export-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn unzip_reads_what_we_write() {
    if !has("unzip") {
        eprintln!("unzip is not installed: skipping the interoperability check");
        return;
    }
    let dir = scratch("unzip");
    let zip_path = dir.join("bundle.zip");
    let files = sample();
    std::fs::write(&zip_path, bundle("s", &files).unwrap()).unwrap();

    let test = Command::new("unzip").arg("-t").arg(&zip_path).output().unwrap();
    assert!(test.status.success(), "{}", String::from_utf8_lossy(&test.stdout));
    assert!(String::from_utf8_lossy(&test.stdout).contains("No errors detected"));

    let list = Command::new("unzip").arg("-l").arg(&zip_path).output().unwrap();
    let listing = String::from_utf8_lossy(&list.stdout);
    assert!(list.status.success(), "{listing}");
    assert!(
        listing.contains("1980-01-01 00:00") || listing.contains("01-01-1980 00:00"),
        "{listing}"
    );
    for f in &files {
        assert!(listing.contains(&f.name), "{} in {listing}", f.name);
        let out = Command::new("unzip")
            .arg("-p")
            .arg(&zip_path)
            .arg(&f.name)
            .output()
            .unwrap();
        assert!(out.status.success());
        assert_eq!(String::from_utf8(out.stdout).unwrap(), f.text, "{}", f.name);
    }

    let unpacked = dir.join("unpacked");
    let out = Command::new("unzip")
        .arg("-q")
        .arg(&zip_path)
        .arg("-d")
        .arg(&unpacked)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    for f in &files {
        assert_eq!(std::fs::read_to_string(unpacked.join(&f.name)).unwrap(), f.text);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(unpacked.join(&f.name)).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o644, "{}", f.name);
        }
    }

    // And the other way: Info-ZIP's zip of the unpacked folder (directory entries, extra
    // fields with timestamps and owners) reads back as the same bundle.
    if has("zip") {
        let rezipped = dir.join("rezipped.zip");
        let out = Command::new("zip")
            .current_dir(&unpacked)
            .arg("-q")
            .arg("-r")
            .arg(&rezipped)
            .arg(".")
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let back = read_bundle(&std::fs::read(&rezipped).unwrap()).unwrap();
        assert_eq!(back.files, sorted(files));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

// ---------------------------------------------------------------------------------------
// Properties

fn path_strategy() -> impl Strategy<Value = String> {
    proptest::collection::vec("[a-zA-Z0-9_é-]{1,8}(\\.yaml)?", 1..4).prop_map(|parts| parts.join("/"))
}

/// Files with distinct paths of which none is another's directory.
fn files_strategy() -> impl Strategy<Value = Vec<SourceFile>> {
    proptest::collection::btree_map(path_strategy(), any::<String>(), 0..8).prop_map(|map| {
        let names: Vec<String> = map.keys().cloned().collect();
        map.into_iter()
            .filter(|(name, _)| !names.iter().any(|n| n.starts_with(&format!("{name}/"))))
            .filter(|(name, _)| name != "bundle.json")
            .map(|(name, text)| SourceFile::new(name, text))
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn prop_bundle_round_trips_in_any_order(
        (files, shuffled) in files_strategy().prop_flat_map(|f| (Just(f.clone()), Just(f).prop_shuffle())),
        name in any::<String>(),
    ) {
        let zip = bundle(&name, &files).unwrap();
        prop_assert_eq!(&bundle(&name, &shuffled).unwrap(), &zip);
        let back = read_bundle(&zip).unwrap();
        prop_assert_eq!(back.scenario, name);
        prop_assert_eq!(back.files, sorted(files));
    }

    #[test]
    fn prop_share_round_trips(files in proptest::collection::vec((any::<String>(), any::<String>()), 0..6)) {
        let files: Vec<SourceFile> = files.into_iter().map(|(n, t)| SourceFile::new(n, t)).collect();
        prop_assert_eq!(decode_share(&encode_share(&files)).unwrap(), files);
    }

    #[test]
    fn prop_garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400), text in any::<String>()) {
        prop_assert!(read_bundle(&bytes).is_err());
        let _ = decode_share(&text);
        let _ = decode_share(&format!("v1.{text}"));
        let _ = sanitize_path(&text);
        let _ = multi_document_yaml(&[SourceFile::new(text.clone(), text)]);
    }

    #[test]
    fn prop_sanitised_paths_are_safe(name in "[a-z./\\\\:]{0,12}") {
        if let Ok(path) = sanitize_path(&name) {
            prop_assert!(!path.is_empty() && !path.starts_with('/') && !path.contains('\\'));
            prop_assert!(path.split('/').all(|p| !p.is_empty() && p != "." && p != ".."));
            prop_assert_eq!(sanitize_path(&path).unwrap(), path.clone(), "sanitising is idempotent");
        }
    }
}

// ---------------------------------------------------------------------------------------
// Secrets stay out of bundles unless asked for

#[test]
fn withhold_secrets_takes_out_secret_documents_and_keeps_every_other_byte() {
    let mixed = "# app config\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: db-password\n  namespace: shop\nstringData:\n  password: hunter2\n---\n# the service\napiVersion: v1\nkind: Service\nmetadata:\n  name: web\n";
    let only_secret = "{\"apiVersion\": \"v1\", \"kind\": \"Secret\", \"metadata\": {\"name\": \"tls\"}}\n";
    let list = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Secret\n  metadata: {name: a}\n";
    let not_core = "apiVersion: example.com/v1\nkind: Secret\nmetadata: {name: custom}\n";
    let broken = "kind: Secret\nmetadata: [unclosed\n";
    let files = vec![
        file("app.yaml", mixed),
        file("tls.json", only_secret),
        file("list.yaml", list),
        file("crd.yaml", not_core),
        file("broken.yaml", broken),
    ];
    let (kept, withheld) = export::withhold(&files, false);

    let names: Vec<String> = withheld.iter().map(|w| format!("{}:{} {w}", w.file, w.line)).collect();
    assert_eq!(
        names,
        [
            "app.yaml:7 Secret shop/db-password",
            "tls.json:1 Secret default/tls",
            "list.yaml:1 List"
        ]
    );
    // The JSON file and the List held nothing else: they are gone. A Secret of another API
    // group and a document that does not parse are not known Secrets and stay.
    let kept_names: Vec<&str> = kept.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(kept_names, ["app.yaml", "crd.yaml", "broken.yaml"]);
    assert_eq!(kept[1].text, not_core);
    assert_eq!(kept[2].text, broken);

    let app = &kept[0].text;
    assert!(!app.contains("hunter2") && !app.contains("kind: Secret"), "{app}");
    assert!(app.starts_with("# app config\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\n---\n# netplay: Secret shop/db-password withheld"));
    assert!(
        app.ends_with("---\n# the service\napiVersion: v1\nkind: Service\nmetadata:\n  name: web\n"),
        "{app}"
    );
    // What is left is the same scenario minus the Secret.
    let scenario = load(&kept[..1]);
    let errors: Vec<_> = scenario
        .diagnostics
        .iter()
        .filter(|d| d.severity == netplay_core::Severity::Error)
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
}

#[test]
fn withhold_secrets_leaves_files_without_secrets_untouched() {
    let files = sample();
    let (kept, withheld) = export::withhold(&files, false);
    assert!(withheld.is_empty());
    assert_eq!(kept, files);
}

#[test]
fn withhold_takes_out_netplays_own_documents_which_no_cluster_knows() {
    let text = "apiVersion: netplay.dev/v1alpha1\nkind: AddressPlan\nmetadata:\n  name: prod\nspec: {}\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: token\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n";
    let files = vec![
        file("plan.yaml", text),
        file(
            "east/cluster.yaml",
            "apiVersion: netplay.dev/v1alpha1\nkind: Cluster\nmetadata:\n  name: east\n",
        ),
    ];
    // Secrets asked for: only netplay's documents go.
    let (kept, withheld) = export::withhold(&files, true);
    let names: Vec<String> = withheld
        .iter()
        .map(|w| format!("{}:{} {w}: {}", w.file, w.line, w.reason()))
        .collect();
    assert_eq!(
        names,
        [
            "plan.yaml:1 AddressPlan prod: netplay's own description, not a Kubernetes object",
            "east/cluster.yaml:1 Cluster east: netplay's own description, not a Kubernetes object"
        ]
    );
    assert_eq!(kept.len(), 1, "the file with only a Cluster is left out");
    assert!(
        kept[0]
            .text
            .starts_with("# netplay: AddressPlan prod withheld from the bundle"),
        "{}",
        kept[0].text
    );
    assert!(
        kept[0].text.contains("kind: Secret") && kept[0].text.ends_with("kind: Namespace\nmetadata:\n  name: shop\n")
    );
    // By default the Secret goes too.
    let (kept, withheld) = export::withhold(&files, false);
    assert_eq!(withheld.len(), 3);
    assert!(!kept[0].text.contains("kind: Secret"));
}
