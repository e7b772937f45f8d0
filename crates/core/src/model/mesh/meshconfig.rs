//! The mesh configuration (`MeshConfig`) as far as the analyzers need it, read the way
//! istioctl reads it: the `mesh` key of the `istio` ConfigMap in `istio-system`, the
//! `meshConfig` of an `IstioOperator`, or a file given on the command line
//! (`netplay analyze --mesh-config FILE`, istioctl's `--meshConfigFile`). Later sources
//! override earlier ones field by field; the command line wins over the input.

use crate::diagnostics::Diagnostic;
use serde_json::Value;
use std::collections::BTreeMap;

/// The fields of `MeshConfig` that change what the analyzers report. Everything else is
/// ignored (and kept out of this type on purpose: netplay does not model the rest).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MeshConfig {
    /// `defaultConfig.proxyMetadata`: environment of every proxy, where DNS capture
    /// (`ISTIO_META_DNS_CAPTURE`) and address auto-allocation
    /// (`ISTIO_META_DNS_AUTO_ALLOCATE`) are switched on.
    pub proxy_metadata: BTreeMap<String, String>,
    /// `rootNamespace` (default `istio-system`).
    pub root_namespace: Option<String>,
}

impl MeshConfig {
    /// Reads a MeshConfig document (YAML or JSON). An unreadable document is an error
    /// naming the source; unknown fields are ignored, as istio ignores fields it does not
    /// use in the analyzers.
    pub fn parse(source: &str, text: &str) -> Result<MeshConfig, Box<Diagnostic>> {
        let value: Value = serde_yaml::from_str(text).map_err(|e| {
            let line = u32::try_from(crate::parse::yaml_error_position(text, &e).0).unwrap_or(u32::MAX);
            Box::new(
                Diagnostic::new("NP0001", format!("{source}: the mesh config is not valid YAML: {e}"))
                    .at(&crate::diagnostics::Location::new(source, line, 1)),
            )
        })?;
        let mut config = MeshConfig::default();
        config.merge_value(&value);
        Ok(config)
    }

    /// Overrides the fields `value` (a MeshConfig as JSON) sets.
    pub(crate) fn merge_value(&mut self, value: &Value) {
        let Some(map) = value.as_object() else { return };
        if let Some(meta) = map
            .get("defaultConfig")
            .and_then(|d| d.get("proxyMetadata"))
            .and_then(Value::as_object)
        {
            for (k, v) in meta {
                let text = match v {
                    Value::String(s) => s.clone(),
                    Value::Bool(b) => b.to_string(),
                    Value::Number(n) => n.to_string(),
                    _ => continue,
                };
                self.proxy_metadata.insert(k.clone(), text);
            }
        }
        if let Some(r) = map.get("rootNamespace").and_then(Value::as_str) {
            self.root_namespace = Some(r.to_string());
        }
    }

    /// Overrides the fields `other` sets.
    pub fn merge(&mut self, other: &MeshConfig) {
        for (k, v) in &other.proxy_metadata {
            self.proxy_metadata.insert(k.clone(), v.clone());
        }
        if other.root_namespace.is_some() {
            self.root_namespace.clone_from(&other.root_namespace);
        }
    }

    fn flag(&self, key: &str) -> bool {
        self.proxy_metadata
            .get(key)
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
    }

    /// Whether the proxies capture DNS (`ISTIO_META_DNS_CAPTURE: "true"`).
    pub fn dns_capture(&self) -> bool {
        self.flag("ISTIO_META_DNS_CAPTURE")
    }

    /// Whether ServiceEntries without addresses get one allocated by the DNS proxy
    /// (`ISTIO_META_DNS_AUTO_ALLOCATE: "true"`, effective only with DNS capture).
    pub fn dns_auto_allocate(&self) -> bool {
        self.dns_capture() && self.flag("ISTIO_META_DNS_AUTO_ALLOCATE")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_proxy_metadata_and_merges() {
        let text = "defaultConfig:\n  proxyMetadata:\n    ISTIO_META_DNS_CAPTURE: \"true\"\n    ISTIO_META_DNS_AUTO_ALLOCATE: true\n";
        let c = MeshConfig::parse("mesh.yaml", text).expect("valid");
        assert!(c.dns_capture() && c.dns_auto_allocate());
        let mut base = MeshConfig::parse("a", "rootNamespace: mesh-root").expect("valid");
        assert!(!base.dns_capture());
        base.merge(&c);
        assert!(base.dns_auto_allocate());
        assert_eq!(base.root_namespace.as_deref(), Some("mesh-root"));
    }

    #[test]
    fn auto_allocation_needs_dns_capture() {
        let c = MeshConfig::parse(
            "m",
            "defaultConfig: {proxyMetadata: {ISTIO_META_DNS_AUTO_ALLOCATE: 'true'}}",
        )
        .expect("valid");
        assert!(!c.dns_auto_allocate());
    }

    #[test]
    fn broken_yaml_is_a_diagnostic() {
        let e = MeshConfig::parse("m.yaml", "a: [").expect_err("broken");
        assert_eq!(e.code, "NP0001");
        assert_eq!(e.file.as_deref(), Some("m.yaml"));
    }
}
