//! Diagnostics: what core found wrong or noteworthy in the input.
//!
//! Every finding has a stable code. `NPxxxx` codes are netplay's own (listed in
//! docs/diagnostics.md); where a check is the same condition `istioctl analyze` reports,
//! it uses istioctl's `ISTxxxx` code.
//!
//! [`filter`] selects what a report shows (thresholds, suppressions) and [`formats`]
//! writes reports as JSON, YAML, SARIF and JUnit, for the CLI and the web app alike.

pub mod filter;
pub mod formats;

pub use filter::{AnalyzeOptions, Report, Suppression};

use serde::Serialize;
use std::fmt;

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Info,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }

    /// How serious: info 0, warning 1, error 2.
    pub fn rank(self) -> u8 {
        match self {
            Severity::Error => 2,
            Severity::Warning => 1,
            Severity::Info => 0,
        }
    }

    /// Whether this severity is `threshold` or more serious.
    pub fn at_least(self, threshold: Severity) -> bool {
        self.rank() >= threshold.rank()
    }

    /// Reads `info`, `warning` or `error` (any case, as istioctl's thresholds).
    pub fn parse(s: &str) -> Result<Severity, UnknownSeverity> {
        match s.trim().to_ascii_lowercase().as_str() {
            "info" => Ok(Severity::Info),
            "warning" | "warn" => Ok(Severity::Warning),
            "error" => Ok(Severity::Error),
            other => Err(UnknownSeverity(other.to_string())),
        }
    }
}

/// A severity that is not `info`, `warning` or `error`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown severity {0:?}: use info, warning or error")]
pub struct UnknownSeverity(pub String);

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A place in the input: file name and 1-based line and column.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize)]
pub struct Location {
    pub file: String,
    pub line: u32,
    pub column: u32,
}

impl Location {
    pub fn new(file: &str, line: u32, column: u32) -> Self {
        Location {
            file: file.to_string(),
            line,
            column,
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

/// A finding about the input.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct Diagnostic {
    pub code: &'static str,
    pub severity: Severity,
    pub message: String,
    /// `Kind namespace/name` (or `Kind name` for cluster-scoped objects).
    pub resource: Option<String>,
    pub file: Option<String>,
    pub line: Option<u32>,
    pub column: Option<u32>,
    /// What to do about it, when there is a clear fix.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
}

/// Notes that change how a result must be read (a host-network workload is shown as its
/// node, NP1009): front ends print them beside every command's result, not only in
/// `analyze`, although they are no problem.
pub const CAVEATS: &[&str] = &["NP1009"];

impl Diagnostic {
    /// Whether a command that prints results (connlist, explain, diff) shows this
    /// diagnostic beside them: every warning and error, and the caveats.
    pub fn shown_with_results(&self) -> bool {
        self.severity != Severity::Info || CAVEATS.contains(&self.code)
    }

    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            severity: code_severity(code),
            message: message.into(),
            resource: None,
            file: None,
            line: None,
            column: None,
            help: None,
        }
    }

    pub fn at(mut self, loc: &Location) -> Self {
        self.file = Some(loc.file.clone());
        self.line = Some(loc.line);
        self.column = Some(loc.column);
        self
    }

    pub fn resource(mut self, resource: impl Into<String>) -> Self {
        self.resource = Some(resource.into());
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Sort key: file, line, column, code — the order diagnostics are shown in.
    pub fn sort_key(&self) -> (Option<&str>, Option<u32>, Option<u32>, &str, &str) {
        (self.file.as_deref(), self.line, self.column, self.code, &self.message)
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(file) = &self.file {
            write!(f, "{file}:{}:{}: ", self.line.unwrap_or(1), self.column.unwrap_or(1))?;
        }
        write!(f, "{}[{}]: {}", self.severity, self.code, self.message)?;
        if let Some(r) = &self.resource {
            write!(f, " ({r})")?;
        }
        Ok(())
    }
}

/// Every code netplay emits, with its severity and a one-line summary. docs/diagnostics.md
/// describes each at length; a test checks the two lists agree.
#[rustfmt::skip]
pub const CODES: &[(&str, Severity, &str)] = &[
    ("NP0001", Severity::Error, "YAML or JSON syntax error; the document is skipped"),
    ("NP0002", Severity::Error, "a field has the wrong type or is missing; the object (for a container port, or a container's ports that are not a list: those ports) is skipped"),
    ("NP0003", Severity::Warning, "a kind that can change traffic (a policy, route or mesh kind) that netplay does not model; results are computed without it"),
    ("NP0004", Severity::Error, "a document is not a Kubernetes object (apiVersion, kind or metadata.name missing)"),
    ("NP0005", Severity::Warning, "the same object is defined twice; the later definition wins"),
    ("NP0006", Severity::Warning, "an old apiVersion of a known kind; read as the current version"),
    ("NP0007", Severity::Info, "a file was read but held no Kubernetes object"),
    ("NP0008", Severity::Error, "a known kind under an apiVersion that does not serve it; the object is skipped"),
    ("NP0009", Severity::Warning, "an unknown field (often a typo); it is ignored"),
    ("NP0010", Severity::Error, "invalid CIDR in an ipBlock; the policy is ignored"),
    ("NP0011", Severity::Error, "invalid port or endPort; the policy is ignored"),
    ("NP0012", Severity::Error, "invalid protocol; the policy is ignored"),
    ("NP0013", Severity::Error, "invalid peer (empty, or ipBlock together with a selector); the policy is ignored"),
    ("NP0014", Severity::Error, "invalid label selector; the policy is ignored"),
    ("NP0015", Severity::Error, "an ipBlock except is not strictly inside its cidr; the policy is ignored"),
    ("NP0016", Severity::Error, "invalid policyTypes; the policy is ignored"),
    ("NP0020", Severity::Warning, "a controller ownerReference without kind; the pods naming it are folded into one workload"),
    ("NP0021", Severity::Info, "pods of one owner differ in labels that selectors tell apart; the owner is shown as several workloads"),
    ("NP0022", Severity::Info, "a Pod in phase Succeeded or Failed: its containers have terminated, it receives no traffic and is no endpoint"),
    ("NP0023", Severity::Error, "a name, label, selector or port name the API server rejects (RFC 1123/1035 names, label keys and values, IANA port names, CronJob names over 52); kubectl apply refuses the object, so it is left out"),
    ("NP0030", Severity::Error, "an AdminNetworkPolicy, BaselineAdminNetworkPolicy or ClusterNetworkPolicy the API server rejects (enum, range, limit, one-of, CIDR, named port with a non-pod peer); the policy is ignored"),
    ("NP0031", Severity::Error, "a BaselineAdminNetworkPolicy not named `default`; the API server rejects it"),
    ("NP0032", Severity::Error, "a ClusterNetworkPolicy written for an older v1alpha2 draft (action Allow, ports, match); the policy is ignored"),
    ("NP0033", Severity::Error, "an admin policy's pods subject or peer without its required podSelector (or v1alpha1 namespaceSelector): the API server rejects it; evaluated with {} for the missing selector"),
    ("NP0050", Severity::Error, "a Calico selector that does not parse (reported at the character where parsing stopped); the policy is ignored"),
    ("NP0051", Severity::Error, "a Calico policy, tier or network set that Calico's validation rejects (action, protocol, ports, CIDR, types, defaultAction); it is ignored"),
    ("NP0040", Severity::Error, "a CiliumNetworkPolicy or CiliumClusterwideNetworkPolicy Cilium rejects (selectors, peer kinds combined in one rule, ports, protocols, L7 rules, CIDRs, entities); the policy is ignored"),
    ("NP0090", Severity::Error, "input over a limit (file size, nesting depth, alias expansion); that file or document is skipped"),
    ("NP1001", Severity::Warning, "the policy selects no pod of the input"),
    ("NP1002", Severity::Warning, "a namespaceSelector matches no namespace of the input"),
    ("NP1003", Severity::Warning, "a named port resolves on no pod the rule applies to"),
    ("NP1004", Severity::Warning, "an egress-isolated workload cannot reach DNS"),
    ("NP1005", Severity::Info, "the policy adds nothing: an allow-all policy already admits everything it admits"),
    ("NP1006", Severity::Info, "policyTypes says Egress but there are no egress rules: all egress is denied"),
    ("NP1007", Severity::Warning, "an ipBlock CIDR has host bits set"),
    ("NP1008", Severity::Warning, "a podSelector in a peer matches no pod of the input"),
    ("NP1009", Severity::Info, "a hostNetwork workload, shown as its node: no policy selects it, selectors never admit it, ipBlocks holding the node's address do"),
    ("NP1010", Severity::Warning, "an Ingress backend names a Service or Service port that is not in the input"),
    ("NP1050", Severity::Warning, "a Calico field netplay does not model (doNotTrack, preDNAT, applyOnForward, source ports, selectors of the policy's own side in a rule, services, ipVersion, http); the policy or rule is left out or evaluated without it, as the message says"),
    ("NP1051", Severity::Info, "a Calico rule for a protocol netplay does not model (ICMP, ICMPv6, UDPLite, a number): it matches no TCP, UDP or SCTP connection"),
    ("NP1052", Severity::Warning, "a Calico policy names a tier that is not in the input; it is evaluated in a tier of its own after every other"),
    ("NP1053", Severity::Info, "a Calico staged policy: never enforced; the finding lists the connection lines it would change if it were"),
    ("NP1030", Severity::Warning, "two admin policies of one tier have the same priority and select a common pod: their order is undefined"),
    ("NP1031", Severity::Warning, "an admin policy rule that an earlier rule of the policy always pre-empts"),
    ("NP1032", Severity::Warning, "an admin policy whose subject selects no pod, or a rule whose peers match nothing of the input"),
    ("NP1033", Severity::Warning, "a domainNames peer in a Deny or Pass rule: the API supports it in Allow/Accept rules only"),
    ("NP1034", Severity::Warning, "an admin policy peer of a type netplay does not know: the rule fails closed"),
    ("NP1035", Severity::Warning, "a nodes or domainNames peer: netplay cannot tell which addresses it names, so it matches no connection"),
    ("NP1040", Severity::Warning, "a part of a Cilium policy netplay does not model (host policies, node, host and other entities, service accounts, ICMP, CIDR groups, Services without selector): it matches no connection"),
    ("NP1041", Severity::Warning, "fromRequires/toRequires: deprecated since Cilium 1.17 and removed in 1.19; not evaluated"),
    ("NP1042", Severity::Info, "toFQDNs: the addresses a DNS name has are known only at run time; shown as fqdn: destinations"),
    ("NP2001", Severity::Warning, "a PeerAuthentication makes mTLS STRICT for workloads without a sidecar, where nothing enforces it"),
    ("NP2002", Severity::Error, "a DestinationRule's tls mode sends what the server cannot accept (Istio mTLS to no sidecar or DISABLE, plaintext or TLS to STRICT)"),
    ("NP2003", Severity::Warning, "an ALLOW rule matches peer identities that plaintext peers never have"),
    ("NP2004", Severity::Warning, "a NetworkPolicy blocks the mesh's own traffic: proxies to istiod (TCP 15012) or the API server to istiod's webhook (TCP 15017)"),
    ("NP2005", Severity::Warning, "a PeerAuthentication selector or DestinationRule workloadSelector selects no workload"),
    ("NP3001", Severity::Error, "an AddressPlan field cannot be used (not a CIDR, host bits set, two ranges of one family, unknown CNI or datapath, no pod CIDR)"),
    ("NP3002", Severity::Error, "two ranges of an address plan overlap (pod, service, node subnet, existing network)"),
    ("NP3003", Severity::Error, "the per-node pod mask is larger than the pod CIDR: no node gets a range"),
    ("NP3004", Severity::Error, "the per-node pod mask is outside what the CNI's IPAM accepts"),
    ("NP3005", Severity::Warning, "a Service is single-stack in a dual-stack plan, or asks for a family the plan lacks"),
    ("NP3006", Severity::Warning, "a configured MTU exceeds the pod MTU the datapath leaves: packets fragment or drop"),
    ("NP3007", Severity::Info, "a configured MTU is below the pod MTU the datapath allows: bytes wasted on every packet"),
    ("NP3008", Severity::Error, "pod CIDRs or node subnets of two clusters overlap"),
    ("NP3009", Severity::Warning, "a CNI configuration disagrees with the address plan, or cannot be read"),
    ("NP3010", Severity::Error, "the plan's datapath is not offered by its CNI"),
    ("NP3011", Severity::Warning, "the node subnets hold more nodes than the pod CIDR has node ranges for"),
    ("NP3012", Severity::Info, "a Service without ipFamilyPolicy in a dual-stack plan gets one family only"),
    ("NP5001", Severity::Warning, "a netplay.dev/cluster annotation names a cluster that has no Cluster document"),
    ("NP5002", Severity::Warning, "a ServiceExport has no Service of the same name in its cluster"),
    ("NP5003", Severity::Warning, "an exported Service differs between clusters in type or ports (MCS conflict)"),
    ("NP5004", Severity::Warning, "a Cilium global Service is missing, or not global, in another ClusterMesh cluster"),
    ("NP5005", Severity::Warning, "a KubeFed object: the project is archived; use the MCS API or per-cluster objects"),
    ("NP5006", Severity::Warning, "a DestinationRule sets locality failover without outlierDetection, so Istio ignores it"),
    ("NP5007", Severity::Warning, "a cluster of a multi-network Istio mesh has no east-west gateway"),
    ("NP6001", Severity::Error, "an assertion cannot be read (a field missing, of the wrong shape or unreadable); it is not run"),
    ("NP6002", Severity::Warning, "an unknown field in an assertion or a lesson (often a typo); it is ignored"),
    ("NP6101", Severity::Error, "a lesson file cannot be used: no front matter, no title, a front matter field of the wrong type, or no step"),
    ("NP6102", Severity::Error, "a fenced block of a lesson has an unknown role, is in the wrong place, or a solution names no file"),
    ("NP6103", Severity::Error, "a lesson step has no check block: nothing decides when it is done"),
    ("IST0101", Severity::Error, "ReferencedResourceNotFound: a host, host:port, subset, gateway, selector, namespace or credentialName that a mesh object references does not exist"),
    ("IST0102", Severity::Info, "NamespaceNotInjected: a namespace has neither istio-injection nor istio.io/rev"),
    ("IST0103", Severity::Warning, "PodMissingProxy: a Pod of an injected namespace has no istio-proxy container"),
    ("IST0107", Severity::Warning, "MisplacedAnnotation: an Istio annotation on a kind it does not apply to"),
    ("IST0108", Severity::Warning, "UnknownAnnotation: an annotation in Istio's domain that Istio does not define"),
    ("IST0109", Severity::Error, "ConflictingMeshGatewayVirtualServiceHosts: VirtualServices bound to the mesh define the same host"),
    ("IST0110", Severity::Error, "ConflictingSidecarWorkloadSelectors: several Sidecars select the same pod"),
    ("IST0111", Severity::Error, "MultipleSidecarsWithoutWorkloadSelectors: several Sidecars of one namespace have no workloadSelector"),
    ("IST0112", Severity::Error, "VirtualServiceDestinationPortSelectorRequired: a destination without port to a service with several ports"),
    ("IST0116", Severity::Warning, "DeploymentAssociatedToMultipleServices: Services of a meshed Deployment use one port with different protocols"),
    ("IST0118", Severity::Info, "PortNameIsNotUnderNamingConvention: a Service port whose name and appProtocol name no protocol"),
    ("IST0123", Severity::Warning, "NamespaceMultipleInjectionLabels: a namespace has more than one kind of injection label"),
    ("IST0127", Severity::Warning, "NoMatchingWorkloadsFound: an AuthorizationPolicy applies to no workload of the mesh"),
    ("IST0128", Severity::Warning, "NoServerCertificateVerificationDestinationLevel: DestinationRule TLS without caCertificates"),
    ("IST0129", Severity::Warning, "NoServerCertificateVerificationPortLevel: port-level DestinationRule TLS without caCertificates"),
    ("IST0130", Severity::Warning, "VirtualServiceUnreachableRule: a VirtualService rule can never match"),
    ("IST0131", Severity::Info, "VirtualServiceIneffectiveMatch: a match block repeats or is covered by an earlier one"),
    ("IST0132", Severity::Warning, "VirtualServiceHostNotFoundInGateway: no host of the VirtualService is served by its Gateway"),
    ("IST0134", Severity::Warning, "ServiceEntryAddressesRequired: a TCP (or protocol-less) ServiceEntry port without addresses"),
    ("IST0135", Severity::Info, "DeprecatedAnnotation: a deprecated Istio annotation"),
    ("IST0137", Severity::Warning, "DeploymentConflictingPorts: Services of a meshed Deployment map one targetPort to different ports"),
    ("IST0138", Severity::Warning, "GatewayDuplicateCertificate: gateways on the same workloads use the same certificate"),
    ("IST0145", Severity::Error, "ConflictingGateways: Gateways on the same workloads define the same port and host"),
    ("IST0159", Severity::Error, "ConflictingTelemetryWorkloadSelectors: several Telemetries select the same pod"),
    ("IST0160", Severity::Error, "MultipleTelemetriesWithoutWorkloadSelectors: several Telemetries of one namespace have no selector"),
    ("IST0162", Severity::Warning, "GatewayPortNotDefinedOnService: a Gateway server port that the gateway's Service does not expose"),
    ("IST0165", Severity::Warning, "ReferencedInternalGateway: a VirtualService names a Gateway Istio generates from a Gateway API Gateway"),
    ("IST0166", Severity::Warning, "IneffectiveSelector: a policy selector that selects Gateway API gateway pods, where only targetRefs apply"),
    ("IST0173", Severity::Error, "DestinationRuleSubsetNotSelectPods: a DestinationRule subset selects no pod"),
    ("IST0174", Severity::Warning, "UnknownDestinationRuleHost: a DestinationRule host matches no Service or ServiceEntry"),
    ("IST0177", Severity::Warning, "ConflictingServiceEntryProtocol: ServiceEntries define one host and port with different protocols"),
];

fn code_severity(code: &str) -> Severity {
    CODES
        .iter()
        .find(|(c, _, _)| *c == code)
        .map(|(_, s, _)| *s)
        .unwrap_or(Severity::Warning)
}

/// A value and what was found wrong while making it: the shape of a reader's result
/// (`read::build`, `assertions::read`). Whoever combines several keeps the diagnostics
/// together and sorts them once ([`sort_and_dedup`]).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Checked<T> {
    pub value: T,
    pub diagnostics: Vec<Diagnostic>,
}

impl<T> Checked<T> {
    pub fn new(value: T, diagnostics: Vec<Diagnostic>) -> Self {
        Checked { value, diagnostics }
    }

    /// The value and the diagnostics apart.
    pub fn into_parts(self) -> (T, Vec<Diagnostic>) {
        (self.value, self.diagnostics)
    }
}

/// Sorts diagnostics in their one total order (file, line, column, code, message, then
/// resource and help: the result does not depend on the order the findings came in) and
/// keeps each once.
pub fn sort_and_dedup(diags: &mut Vec<Diagnostic>) {
    crate::sorting::sort_by(diags, |a, b| {
        (a.sort_key(), &a.resource, &a.help).cmp(&(b.sort_key(), &b.resource, &b.help))
    });
    diags.dedup();
}

/// Whether any diagnostic is an error.
pub fn has_errors(diags: &[Diagnostic]) -> bool {
    diags.iter().any(|d| d.severity == Severity::Error)
}

/// Whether an object of a kind netplay does not model could change who reaches whom, and
/// so deserves NP0003: policy, route, gateway and mesh kinds. Kinds that cannot change
/// traffic (ConfigMaps, Secrets, ServiceAccounts, RBAC, storage, autoscaling, monitoring,
/// CRDs, ...) and unknown custom resources without such a name are not reported at all.
pub fn may_affect_traffic(group: &str, kind: &str) -> bool {
    const INERT_GROUPS: &[&str] = &[
        "rbac.authorization.k8s.io",
        "storage.k8s.io",
        "scheduling.k8s.io",
        "autoscaling",
        "apiextensions.k8s.io",
        "admissionregistration.k8s.io",
        "coordination.k8s.io",
        "certificates.k8s.io",
        "events.k8s.io",
        "node.k8s.io",
        "flowcontrol.apiserver.k8s.io",
        "apiregistration.k8s.io",
        "monitoring.coreos.com",
        "cert-manager.io",
        "telemetry.istio.io",
        "install.istio.io",
        "kustomize.config.k8s.io",
    ];
    if INERT_GROUPS.contains(&group) || matches!(kind, "IngressClass" | "GatewayClass") {
        return false;
    }
    // Core and apps kinds that netplay does not model and that carry no traffic rules.
    if matches!(group, "" | "apps" | "policy" | "batch" | "discovery.k8s.io") {
        return matches!(kind, "Endpoints" | "EndpointSlice");
    }
    const TRAFFIC_GROUPS: &[&str] = &[
        "networking.istio.io",
        "security.istio.io",
        "extensions.istio.io",
        "gateway.networking.k8s.io",
        "networking.x-k8s.io",
        "policy.networking.k8s.io",
        "networking.k8s.io",
        "cilium.io",
        "crd.projectcalico.org",
        "projectcalico.org",
        "policy.linkerd.io",
        "linkerd.io",
        "consul.hashicorp.com",
        "kuma.io",
        "crd.antrea.io",
        "traefik.io",
        "traefik.containo.us",
        "configuration.konghq.com",
        "projectcontour.io",
        "getambassador.io",
        "multicluster.x-k8s.io",
    ];
    if TRAFFIC_GROUPS.contains(&group) {
        return true;
    }
    const TRAFFIC_WORDS: &[&str] = &["Policy", "Route", "Ingress", "Gateway", "Mesh", "Firewall", "Egress"];
    TRAFFIC_WORDS.iter().any(|w| kind.contains(w))
}
