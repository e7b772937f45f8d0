//! The loopback server speaks the parts of the API protocol that apply tests rely on.
//! Plain HTTP/1.1 over a socket, so that these tests depend on no client library.

use netplay_testkube::{Options, TestKube};
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::time::Duration;

/// Sends one request; the status code and the body as JSON (`Null` when it is not JSON).
fn send(kube: &TestKube, method: &str, path: &str, body: Option<&Value>) -> (u16, Value) {
    let addr = kube.url().trim_start_matches("http://").to_string();
    let mut stream = std::net::TcpStream::connect(&addr).expect("connect");
    let body = body.map(Value::to_string).unwrap_or_default();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\
         Content-Type: application/apply-patch+yaml\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).expect("write");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = response.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or_default();
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

fn configmap(value: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "default"},
           "data": {"k": value}})
}

const CM: &str = "/api/v1/namespaces/default/configmaps/c";

fn managers(object: &Value) -> Vec<String> {
    object["metadata"]["managedFields"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m["manager"].as_str().map(str::to_string))
        .collect()
}

#[test]
fn an_apply_creates_then_the_same_apply_keeps_the_resource_version() {
    let kube = TestKube::start();
    let (code, created) = send(&kube, "PATCH", &format!("{CM}?fieldManager=a"), Some(&configmap("v")));
    assert_eq!(code, 201);
    let (code, again) = send(&kube, "PATCH", &format!("{CM}?fieldManager=a"), Some(&configmap("v")));
    assert_eq!(code, 200);
    assert_eq!(
        again["metadata"]["resourceVersion"],
        created["metadata"]["resourceVersion"]
    );
    let (code, changed) = send(&kube, "PATCH", &format!("{CM}?fieldManager=a"), Some(&configmap("w")));
    assert_eq!(code, 200);
    assert_ne!(
        changed["metadata"]["resourceVersion"],
        created["metadata"]["resourceVersion"]
    );
    assert_eq!(
        send(&kube, "PATCH", CM, Some(&configmap("w"))).0,
        422,
        "a field manager is required"
    );
}

#[test]
fn equal_values_are_shared_a_different_value_conflicts_and_force_takes_it_over() {
    let kube = TestKube::start();
    send(&kube, "PATCH", &format!("{CM}?fieldManager=a"), Some(&configmap("v")));
    let (code, shared) = send(&kube, "PATCH", &format!("{CM}?fieldManager=b"), Some(&configmap("v")));
    assert_eq!(code, 200);
    assert_eq!(managers(&shared), ["a", "b"]);

    let (code, status) = send(&kube, "PATCH", &format!("{CM}?fieldManager=b"), Some(&configmap("w")));
    assert_eq!(code, 409);
    assert_eq!(status["reason"], "Conflict");
    assert_eq!(status["details"]["causes"][0]["field"], ".data.k");
    assert_eq!(status["details"]["causes"][0]["message"], "conflict with \"a\"");

    let (code, forced) = send(
        &kube,
        "PATCH",
        &format!("{CM}?fieldManager=b&force=true"),
        Some(&configmap("w")),
    );
    assert_eq!(code, 200);
    assert_eq!(forced["data"]["k"], "w");
    assert_eq!(managers(&forced), ["b"], "a lost the only field it owned");
}

#[test]
fn a_field_its_manager_stops_applying_is_removed() {
    let kube = TestKube::start();
    let mut both = configmap("v");
    both["data"]["extra"] = json!("x");
    send(&kube, "PATCH", &format!("{CM}?fieldManager=a"), Some(&both));
    let (_, after) = send(&kube, "PATCH", &format!("{CM}?fieldManager=a"), Some(&configmap("v")));
    assert_eq!(after["data"], json!({"k": "v"}));
}

#[test]
fn a_dry_run_stores_nothing_and_a_missing_namespace_is_404() {
    let kube = TestKube::start();
    let (code, _) = send(
        &kube,
        "PATCH",
        &format!("{CM}?fieldManager=a&dryRun=All"),
        Some(&configmap("v")),
    );
    assert_eq!(code, 201);
    assert_eq!(send(&kube, "GET", CM, None).0, 404);
    let (code, status) = send(
        &kube,
        "PATCH",
        "/api/v1/namespaces/nowhere/configmaps/c?fieldManager=a",
        Some(&configmap("v")),
    );
    assert_eq!(code, 404);
    assert_eq!(status["message"], "namespaces \"nowhere\" not found");
}

#[test]
fn lists_select_by_label_and_deletes_remove() {
    let kube = TestKube::start();
    for (name, team) in [("a", "x"), ("b", "y")] {
        let cm = json!({"apiVersion": "v1", "kind": "ConfigMap",
                        "metadata": {"name": name, "namespace": "default", "labels": {"team": team}}});
        send(
            &kube,
            "PATCH",
            &format!("/api/v1/namespaces/default/configmaps/{name}?fieldManager=m"),
            Some(&cm),
        );
    }
    let (_, list) = send(
        &kube,
        "GET",
        "/api/v1/namespaces/default/configmaps?labelSelector=team%3Dy",
        None,
    );
    assert_eq!(list["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(list["items"][0]["metadata"]["name"], "b");
    assert_eq!(
        send(&kube, "DELETE", "/api/v1/namespaces/default/configmaps/b", None).0,
        200
    );
    assert_eq!(
        send(&kube, "GET", "/api/v1/namespaces/default/configmaps/b", None).0,
        404
    );
}

#[test]
fn a_crd_is_established_and_served_after_its_delay() {
    let kube = TestKube::start_with(Options {
        crd_established_after: Duration::from_millis(100),
        ..Options::default()
    });
    let crd = json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com"},
        "spec": {"group": "example.com", "scope": "Namespaced",
                 "names": {"kind": "Widget", "plural": "widgets"}, "versions": [{"name": "v1"}]}});
    let path = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com";
    send(&kube, "PATCH", &format!("{path}?fieldManager=m"), Some(&crd));
    let established = |kube: &TestKube| {
        let (_, crd) = send(kube, "GET", path, None);
        crd["status"]["conditions"][1]["status"].clone()
    };
    assert_eq!(established(&kube), "False");
    assert_eq!(send(&kube, "GET", "/apis/example.com/v1", None).0, 404);
    std::thread::sleep(Duration::from_millis(150));
    assert_eq!(established(&kube), "True");
    let (code, resources) = send(&kube, "GET", "/apis/example.com/v1", None);
    assert_eq!(code, 200);
    assert_eq!(resources["resources"][0]["kind"], "Widget");
    assert_eq!(kube.requests().len(), 5, "every request is recorded");
}
