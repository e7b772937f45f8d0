//! Why a question cannot be answered: it names something the input does not have (a
//! workload, Service, namespace, cluster, host or port), names it ambiguously, or is
//! written in a form netplay cannot read (a port, a request line, a URL). Every front end
//! prints these as they are (`Display`), with the closest name when there is one; the
//! variants let a front end or a caller tell the cases apart without reading the text.

use std::fmt;

/// A question about the input that cannot be answered as asked.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    /// A workload name that matches nothing; `hint` is `; did you mean "…"?` or empty.
    #[error("no workload named {query:?} in the input{hint}")]
    NoWorkload { query: String, hint: String },
    /// With several clusters: a name without cluster that no cluster has.
    #[error("no workload named {query:?} in any cluster (clusters: {}); write CLUSTER/NAMESPACE/NAME[Kind]", .clusters.join(", "))]
    NoWorkloadInClusters { query: String, clusters: Vec<String> },
    /// A name (of a workload, or a host) that several things have.
    #[error("{query:?} is ambiguous: {}", .matches.join(", "))]
    Ambiguous { query: String, matches: Vec<String> },
    /// A Service name that Services of several namespaces have.
    #[error("{query:?} is ambiguous: Services {}; write namespace/name", .services.join(", "))]
    AmbiguousService { query: String, services: Vec<String> },
    /// A destination that is neither a workload nor a Service.
    #[error("no workload or Service named {query:?} in the input{hint}")]
    NoWorkloadOrService { query: String, hint: String },
    #[error("no namespace named {namespace:?} in the input")]
    NoNamespace { namespace: String },
    #[error("no cluster named {name:?} (clusters: {})", .clusters.join(", "))]
    NoCluster { name: String, clusters: Vec<String> },
    /// A mesh host that is no Service and no ServiceEntry host.
    #[error("no Service or ServiceEntry host {host:?} in the input")]
    NoHost { host: String },
    #[error("{name:?} is not a Service name: write NAME, NAME.NAMESPACE, NAME.NAMESPACE.svc.cluster.local or NAME.NAMESPACE.svc.clusterset.local")]
    NotAServiceName { name: String },

    /// A port that is neither a number with a protocol nor a port name.
    #[error("cannot read port {text:?}: write e.g. 8080/TCP")]
    UnreadablePort { text: String },
    #[error("unknown protocol {protocol:?}: use TCP, UDP or SCTP")]
    UnknownProtocol { protocol: String },
    #[error("invalid port {port:?}: a port is a number from 1 to 65535")]
    InvalidPort { port: String },
    /// A port name the destination workload's containers do not have.
    #[error("{workload} has no container port named {name:?} ({}){hint}", NamedPorts(.named))]
    NoContainerPort {
        workload: String,
        name: String,
        /// The workload's named ports.
        named: Vec<String>,
        hint: String,
    },
    /// A port (`port` as asked: `TCP 80`, `named "http"`) the Service does not have.
    #[error("Service {service} has no port {port} (its ports: {}){hint}", ListOr(.ports, "none"))]
    NoServicePort {
        service: String,
        port: String,
        ports: Vec<String>,
        hint: String,
    },
    #[error("port {name:?}: a port name needs a workload or a Service as destination, not the address {address}")]
    PortNameNeedsWorkload { name: String, address: String },
    #[error("port {name:?}: with several clusters, give the port as a number")]
    PortNameAcrossClusters { name: String },

    #[error("both ends are external addresses: name a workload as CLUSTER/NAMESPACE/NAME[Kind]")]
    BothEndsExternal,
    /// `netplay multicluster resolve --from` not written `CLUSTER/NAMESPACE/WORKLOAD`.
    #[error("--from {from:?}: write CLUSTER/NAMESPACE/WORKLOAD, e.g. east/shop/frontend")]
    UnreadableFrom { from: String },
    /// A `--fail` name that is no cluster and no region.
    #[error("--fail {name:?} is neither a cluster nor a region of the input")]
    UnknownFailure { name: String },

    /// A request's source `mesh:` without its namespace.
    #[error("mesh: needs a namespace, e.g. mesh:default")]
    MeshClientWithoutNamespace,
    #[error("cannot read header {header:?}: write it as 'name: value'")]
    UnreadableHeader { header: String },
    #[error("cannot read header {header:?}: the name is empty or has spaces")]
    BadHeaderName { header: String },
    /// An HTTP request to check against layer 7 rules that is not `METHOD /path`.
    #[error("{text:?} is not an HTTP request: write `METHOD /path`, e.g. `GET /api/v1/items`")]
    NotAnHttpRequest { text: String },
    /// A header of such a request that is not `Name: value`.
    #[error("{header:?} is not a header: write `Name: value`")]
    NotAHeader { header: String },
    /// A request line's option without its value.
    #[error("{option} needs a value")]
    MissingValue { option: String },
    #[error("unknown option {option:?}")]
    UnknownOption { option: String },
    #[error("more than one URL: {url:?}")]
    SecondUrl { url: String },
    #[error("missing --from SRC")]
    MissingFrom,
    #[error("missing URL")]
    MissingUrl,
    #[error("unterminated {quote} quote")]
    UnterminatedQuote { quote: char },
    #[error("unsupported scheme {scheme:?} in {url:?}: use http, https or tcp")]
    UnsupportedScheme { scheme: String, url: String },
    #[error("cannot read URL {url:?}: {problem}")]
    UnreadableUrl { url: String, problem: UrlProblem },
}

/// What is wrong with a URL.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum UrlProblem {
    #[error("write http://host[:port]/path or tcp://host:port")]
    NoScheme,
    #[error("unclosed [")]
    UnclosedBracket,
    #[error("no host")]
    NoHost,
    #[error("invalid port {0:?}")]
    InvalidPort(String),
    #[error("tcp:// needs a port")]
    TcpWithoutPort,
}

/// The front ends report a question they cannot answer as its message.
impl From<QueryError> for String {
    fn from(e: QueryError) -> String {
        e.to_string()
    }
}

/// `its named ports: a, b` or `it names none`.
struct NamedPorts<'a>(&'a [String]);

impl fmt::Display for NamedPorts<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            f.write_str("it names none")
        } else {
            write!(f, "its named ports: {}", self.0.join(", "))
        }
    }
}

/// The items joined with `, `, or `empty` when there are none.
struct ListOr<'a>(&'a [String], &'a str);

impl fmt::Display for ListOr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            f.write_str(self.1)
        } else {
            f.write_str(&self.0.join(", "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_what_is_missing_and_what_exists() {
        let e = QueryError::NoContainerPort {
            workload: "shop/api[Deployment]".into(),
            name: "htp".into(),
            named: vec!["http".into()],
            hint: "; did you mean \"http\"?".into(),
        };
        assert_eq!(
            e.to_string(),
            "shop/api[Deployment] has no container port named \"htp\" (its named ports: http); did you mean \"http\"?"
        );
        let e = QueryError::NoServicePort {
            service: "shop/api".into(),
            port: "TCP 81".into(),
            ports: Vec::new(),
            hint: String::new(),
        };
        assert_eq!(e.to_string(), "Service shop/api has no port TCP 81 (its ports: none)");
        let e = QueryError::UnreadableUrl {
            url: "tcp://db".into(),
            problem: UrlProblem::TcpWithoutPort,
        };
        assert_eq!(e.to_string(), "cannot read URL \"tcp://db\": tcp:// needs a port");
        assert_eq!(
            QueryError::UnterminatedQuote { quote: '"' }.to_string(),
            "unterminated \" quote"
        );
    }
}
