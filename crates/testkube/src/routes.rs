//! Routing a request: discovery documents, then the resource paths
//! (`/api/v1/namespaces/NS/PLURAL/NAME/SUB`, `/apis/G/V/...`), after authentication and
//! the RBAC-style refusals the test set up.

use crate::server::{json_response, respond, status, Response};
use crate::types::ResourceType;
use crate::{Request, State};
use hyper::{Method, StatusCode};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// The parts of a resource path.
pub(crate) struct Target {
    pub ty: ResourceType,
    pub namespace: String,
    pub name: Option<String>,
    pub subresource: Option<String>,
}

impl State {
    /// The types served now: built-ins and the CRDs that are Established.
    fn served_types(&self) -> Vec<ResourceType> {
        self.types.clone()
    }

    pub(crate) fn route(&mut self, method: &Method, req: &Request) -> Response {
        if !self.authenticated(req) {
            return status(401, "Unauthorized", "Unauthorized");
        }
        // CRDs become Established with time, not with requests: check on every request.
        self.establish_crds();
        let path = req.path.trim_end_matches('/');
        let aggregated = self.options.aggregated_discovery
            && req
                .accept
                .as_deref()
                .is_some_and(|a| a.contains("as=APIGroupDiscoveryList"));
        match path {
            "/version" => {
                return json_response(
                    StatusCode::OK,
                    &json!({"major": "1", "minor": "33", "gitVersion": "v1.33.0-testkube",
                            "platform": "linux/amd64"}),
                )
            }
            "/api" if aggregated => return self.aggregated(true),
            "/apis" if aggregated => return self.aggregated(false),
            "/api" => {
                return json_response(
                    StatusCode::OK,
                    &json!({"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs":
                            [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}]}),
                )
            }
            "/apis" => return self.group_list(),
            _ => {}
        }
        let segments: Vec<&str> = path.split('/').skip(1).collect();
        let (group, version, rest) = match segments.as_slice() {
            ["api", v, rest @ ..] => ("", *v, rest),
            ["apis", g, v, rest @ ..] => (*g, *v, rest),
            _ => return status(404, "NotFound", "the server could not find the requested resource"),
        };
        if rest.is_empty() {
            return self.resource_list(group, version);
        }
        let (namespace, rest) = match rest {
            ["namespaces", ns, plural, more @ ..] => (*ns, [&[*plural][..], more].concat()),
            other => ("", other.to_vec()),
        };
        let Some(ty) = self
            .served_types()
            .into_iter()
            .find(|t| t.group == group && t.version == version && t.plural == rest[0])
        else {
            return status(404, "NotFound", "the server could not find the requested resource");
        };
        let target = Target {
            namespace: if ty.namespaced {
                namespace.to_string()
            } else {
                String::new()
            },
            ty,
            name: rest.get(1).map(|s| s.to_string()),
            subresource: rest.get(2).map(|s| s.to_string()),
        };
        if let Some(refused) = self.forbidden(method, &target, req) {
            return refused;
        }
        match (method, &target.name, target.subresource.as_deref()) {
            (&Method::GET, None, _) => self.list(&target, req),
            (&Method::GET, Some(_), None) => self.get(&target, req),
            (&Method::GET, Some(_), Some("log")) if target.ty.plural == "pods" => self.log(&target),
            (&Method::PATCH, Some(name), None) => {
                if !req
                    .content_type
                    .as_deref()
                    .is_some_and(|c| c.starts_with("application/apply-patch+yaml"))
                {
                    return status(415, "UnsupportedMediaType", "only server-side apply patches are served");
                }
                self.apply_request(&target, name.clone(), req)
            }
            (&Method::DELETE, Some(name), None) => {
                // kubectl sends dryRun in the query, kube-rs in the DeleteOptions body.
                let body_dry_run = serde_json::from_str::<Value>(&req.body)
                    .is_ok_and(|b| b["dryRun"].as_array().is_some_and(|d| d.iter().any(|v| v == "All")));
                let dry_run = req.param("dryRun") == Some("All") || body_dry_run;
                self.delete(&target, name, dry_run)
            }
            _ => status(
                405,
                "MethodNotAllowed",
                "the server does not allow this method on the requested resource",
            ),
        }
    }

    fn group_list(&self) -> Response {
        let mut groups: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for t in self.served_types().iter().filter(|t| !t.group.is_empty()) {
            let versions = groups.entry(t.group.clone()).or_default();
            if !versions.contains(&t.version) {
                versions.push(t.version.clone());
            }
        }
        let groups: Vec<Value> = groups
            .into_iter()
            .map(|(g, vs)| {
                let versions: Vec<Value> = vs
                    .iter()
                    .map(|v| json!({"groupVersion": format!("{g}/{v}"), "version": v}))
                    .collect();
                json!({"name": g, "versions": versions, "preferredVersion": versions[0]})
            })
            .collect();
        json_response(
            StatusCode::OK,
            &json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}),
        )
    }

    fn resources(&self, group: &str, version: &str) -> Vec<Value> {
        let verbs = json!(["create", "delete", "get", "list", "patch", "update"]);
        let mut out = Vec::new();
        for t in self.served_types() {
            if t.group != group || t.version != version {
                continue;
            }
            let mut resource = json!({"name": t.plural, "singularName": t.kind.to_lowercase(),
                                      "namespaced": t.namespaced, "kind": t.kind, "verbs": verbs});
            if !t.short_names.is_empty() {
                resource["shortNames"] = json!(t.short_names);
            }
            if !t.categories.is_empty() {
                resource["categories"] = json!(t.categories);
            }
            out.push(resource);
            if t.plural == "pods" {
                out.push(json!({"name": "pods/log", "singularName": "", "namespaced": true, "kind": "Pod", "verbs": ["get"]}));
            }
        }
        out
    }

    fn resource_list(&self, group: &str, version: &str) -> Response {
        let resources = self.resources(group, version);
        if resources.is_empty() {
            return status(404, "NotFound", "the server could not find the requested resource");
        }
        let gv = if group.is_empty() {
            version.to_string()
        } else {
            format!("{group}/{version}")
        };
        json_response(
            StatusCode::OK,
            &json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": resources}),
        )
    }

    fn aggregated(&self, core: bool) -> Response {
        let mut groups: BTreeMap<String, BTreeMap<String, Vec<Value>>> = BTreeMap::new();
        for t in self.served_types() {
            if t.group.is_empty() != core {
                continue;
            }
            let scope = if t.namespaced { "Namespaced" } else { "Cluster" };
            let mut resource = json!({
                "resource": t.plural, "singularResource": t.kind.to_lowercase(), "scope": scope,
                "responseKind": {"group": t.group, "version": t.version, "kind": t.kind},
                "verbs": ["create", "delete", "get", "list", "patch", "update"]});
            if !t.short_names.is_empty() {
                resource["shortNames"] = json!(t.short_names);
            }
            if !t.categories.is_empty() {
                resource["categories"] = json!(t.categories);
            }
            if t.plural == "pods" {
                resource["subresources"] = json!([{"subresource": "log",
                    "responseKind": {"group": "", "version": "v1", "kind": "Pod"}, "verbs": ["get"]}]);
            }
            groups
                .entry(t.group.clone())
                .or_default()
                .entry(t.version.clone())
                .or_default()
                .push(resource);
        }
        let items: Vec<Value> = groups
            .into_iter()
            .map(|(g, versions)| {
                let versions: Vec<Value> = versions
                    .into_iter()
                    .map(|(v, rs)| json!({"version": v, "resources": rs, "freshness": "Current"}))
                    .collect();
                json!({"metadata": {"name": g, "creationTimestamp": null}, "versions": versions})
            })
            .collect();
        respond(
            StatusCode::OK,
            "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList",
            &json!({"kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2",
                    "metadata": {}, "items": items}),
        )
    }

    /// Without a required token, everyone is let in (as the default tests want); with one,
    /// a request needs that bearer token or a client certificate the server issued.
    fn authenticated(&self, req: &Request) -> bool {
        match &self.required_token {
            None => true,
            Some(token) => {
                req.user.is_some() || req.authorization.as_deref() == Some(format!("Bearer {token}").as_str())
            }
        }
    }

    /// A 403 in the API server's words when the test forbade the resource (RBAC).
    fn forbidden(&self, method: &Method, target: &Target, req: &Request) -> Option<Response> {
        let resource = target.ty.resource_name();
        if !(self.forbidden.contains("*") || self.forbidden.contains(&resource)) {
            return None;
        }
        let verb = match (method, &target.name) {
            (&Method::GET, None) if req.param("watch") == Some("true") => "watch",
            (&Method::GET, None) => "list",
            (&Method::GET, Some(_)) => "get",
            (&Method::PATCH, _) => "patch",
            (&Method::DELETE, _) => "delete",
            (&Method::POST, _) => "create",
            _ => "update",
        };
        let user = req.user.as_deref().unwrap_or("tester");
        let scope = if target.namespace.is_empty() {
            "at the cluster scope".to_string()
        } else {
            format!("in the namespace \"{}\"", target.namespace)
        };
        let name = target.name.as_deref().map(|n| format!(" \"{n}\"")).unwrap_or_default();
        let message = format!(
            "{resource}{name} is forbidden: User \"{user}\" cannot {verb} resource \"{}\" in API group \"{}\" {scope}",
            target.ty.plural, target.ty.group
        );
        Some(json_response(
            StatusCode::FORBIDDEN,
            &json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": message,
                    "reason": "Forbidden", "details": {"name": target.name.clone().unwrap_or_default(),
                    "group": target.ty.group, "kind": target.ty.plural}, "code": 403}),
        ))
    }
}
