//! `-v/--verbose LEVEL` (kubectl's levels, 0–9) and the rule that credentials never reach
//! the terminal: every message about a cluster is passed through [`redact`], which hides
//! each secret value found in the kubeconfigs netplay read (tokens, passwords, client keys,
//! in their written and base64-decoded forms).
//!
//! Levels: 0 errors and warnings; 1–5 what was chosen and read (kubeconfig, context,
//! server, how it authenticates, objects per kind, retries); 6 one line per request
//! (method, URL, status, time); 7 also the request headers (credentials masked); 8–9
//! also the response headers. Request and response bodies are never logged: they can
//! hold Secrets.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Mutex;

static LEVEL: AtomicU8 = AtomicU8::new(0);
static SECRETS: Mutex<Vec<String>> = Mutex::new(Vec::new());

pub fn set_level(level: u8) {
    LEVEL.store(level, Ordering::Relaxed);
}

pub fn level() -> u8 {
    LEVEL.load(Ordering::Relaxed)
}

/// Prints `netplay: MESSAGE` on stderr when the verbosity is at least `at`, redacted.
pub fn log(at: u8, message: &str) {
    if level() >= at {
        eprintln!("netplay: {}", redact(message));
    }
}

/// At level 2, how long a phase of reading or listing took: `WHAT in N ms`.
pub fn phase(what: &str, started: std::time::Instant) {
    log(2, &format!("{what} in {:.1} ms", started.elapsed().as_secs_f64() * 1e3));
}

/// Keys of a kubeconfig whose values are credentials.
const SECRET_KEYS: &[&str] = &[
    "token",
    "password",
    "client-key-data",
    "id-token",
    "refresh-token",
    "access-token",
    "client-secret",
    "secret",
];

/// Remembers the secret values of a kubeconfig's text. The text is scanned line by line
/// (not parsed), so that a kubeconfig too broken to parse still has its secrets hidden
/// from the error that says so.
pub fn remember_secrets(kubeconfig: &str) {
    use base64::Engine as _;
    let mut found = Vec::new();
    for line in kubeconfig.lines() {
        let line = line.trim().trim_start_matches("- ").trim();
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let key = key.trim().trim_matches(['"', '\'']);
        if !SECRET_KEYS.contains(&key) {
            continue;
        }
        let value = value.trim().trim_matches(['"', '\'']).trim();
        if value.len() < 4 {
            continue;
        }
        found.push(value.to_string());
        if let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(value) {
            let decoded = String::from_utf8_lossy(&decoded).into_owned();
            // The decoded text, and each of its lines (a PEM key's body).
            found.extend(
                decoded
                    .lines()
                    .map(str::trim)
                    .filter(|l| l.len() >= 8)
                    .map(str::to_string),
            );
            found.push(decoded);
        }
    }
    let mut secrets = SECRETS.lock().unwrap_or_else(|e| e.into_inner());
    secrets.extend(found);
    // Longest first, so that a secret containing another is hidden whole.
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    secrets.dedup();
}

/// `text` with every remembered secret replaced by `<redacted>`.
pub fn redact(text: &str) -> String {
    let secrets = SECRETS.lock().unwrap_or_else(|e| e.into_inner());
    let mut out = text.to_string();
    for s in secrets.iter().filter(|s| !s.trim().is_empty()) {
        if out.contains(s.as_str()) {
            out = out.replace(s.as_str(), "<redacted>");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_of_a_kubeconfig_are_redacted_also_when_decoded() {
        // "c2VjcmV0LWtleS1tYXRlcmlhbA==" is base64 of "secret-key-material".
        remember_secrets(
            "users:\n- name: u\n  user:\n    token: \"tok-123456\"\n    client-key-data: c2VjcmV0LWtleS1tYXRlcmlhbA==\n",
        );
        assert_eq!(
            redact("a tok-123456 and secret-key-material and c2VjcmV0LWtleS1tYXRlcmlhbA=="),
            "a <redacted> and <redacted> and <redacted>"
        );
        assert_eq!(redact("nothing secret"), "nothing secret");
    }
}
