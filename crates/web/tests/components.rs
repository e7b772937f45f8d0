//! Component tests in a real browser (wasm-bindgen-test, headless Chromium): each mounts
//! one component with data from core and checks what the user would see and do.
#![cfg(target_arch = "wasm32")]

use netplay_core::SourceFile;
use netplay_web::components::editor::{Editor, EditorProps};
use netplay_web::components::matrix::{Matrix, MatrixProps};
use netplay_web::state::File;
use netplay_web::view_model::Analysis;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use yew::platform::time::sleep;
use yew::Callback;

wasm_bindgen_test_configure!(run_in_browser);

const PODS: &str = "apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: x, labels: {app: a}}\nspec: {containers: [{name: c, image: i, ports: [{name: http, containerPort: 80}]}]}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: b, namespace: x, labels: {app: b}}\nspec: {containers: [{name: c, image: i}]}\n";
const ONLY_B_TO_A_HTTP: &str = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: web, namespace: x}\nspec:\n  podSelector: {matchLabels: {app: a}}\n  ingress:\n  - from: [{podSelector: {matchLabels: {app: b}}}]\n    ports: [{port: http}]\n";

fn root() -> web_sys::Element {
    let document = web_sys::window().and_then(|w| w.document()).expect("a document");
    let div = document.create_element("div").expect("a div");
    document.body().expect("a body").append_child(&div).expect("append");
    div
}

async fn settle() {
    sleep(std::time::Duration::from_millis(30)).await;
}

fn cell(root: &web_sys::Element, src: &str, dst: &str) -> web_sys::Element {
    root.query_selector(&format!("td.cell[data-src=\"{src}\"][data-dst=\"{dst}\"]"))
        .ok()
        .flatten()
        .unwrap_or_else(|| panic!("no cell {src} -> {dst}"))
}

#[wasm_bindgen_test]
async fn matrix_shows_allowed_ports_and_the_probe_verdict() {
    let before = Analysis::new(&[SourceFile::new("pods.yaml", PODS)]);
    let after = Analysis::new(&[
        SourceFile::new("pods.yaml", PODS),
        SourceFile::new("np.yaml", ONLY_B_TO_A_HTTP),
    ]);
    let clicked = Rc::new(RefCell::new(None));
    let props = {
        let clicked = clicked.clone();
        MatrixProps {
            analysis: Rc::new(after),
            checkpoint: Rc::new(before.lines.clone()),
            probe: Some((netplay_core::Protocol::Tcp, 80)),
            pair: None,
            selected: None,
            on_cell: Callback::from(move |pair| *clicked.borrow_mut() = Some(pair)),
            on_select: Callback::noop(),
            tiers: Rc::default(),
            flows: Rc::default(),
        }
    };
    let root = root();
    yew::Renderer::<Matrix>::with_root_and_props(root.clone(), props).render();
    settle().await;

    let b_to_a = cell(&root, "x/b[Pod]", "x/a[Pod]");
    assert_eq!(b_to_a.get_attribute("data-conn").as_deref(), Some("TCP 80"));
    assert_eq!(b_to_a.get_attribute("data-probe").as_deref(), Some("allowed"));
    assert!(
        b_to_a.text_content().unwrap_or_default().contains('✓'),
        "a mark, not colour alone"
    );
    assert_eq!(b_to_a.get_attribute("data-change").as_deref(), Some("changed"));

    let ext_to_a = cell(&root, "0.0.0.0-255.255.255.255[External]", "x/a[Pod]");
    assert_eq!(ext_to_a.get_attribute("data-probe").as_deref(), Some("denied"));
    assert_eq!(ext_to_a.get_attribute("data-change").as_deref(), Some("removed"));
    assert!(ext_to_a.text_content().unwrap_or_default().contains('−'));

    ext_to_a.dyn_ref::<web_sys::HtmlElement>().expect("html").click();
    settle().await;
    assert_eq!(
        clicked.borrow().clone(),
        Some(("0.0.0.0-255.255.255.255[External]".to_string(), "x/a[Pod]".to_string()))
    );
}

#[wasm_bindgen_test]
async fn editor_marks_diagnostics_in_the_gutter_and_jumps_from_the_problems_list() {
    let broken = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p, namespace: x}\nspec:\n  podSelector: {}\n  ingress:\n  - from:\n    - ipBlock: {cidr: 10.0.0.0/33}\n";
    let files = vec![File::new("np.yaml", broken)];
    let analysis = Analysis::new(&[SourceFile::new("np.yaml", broken)]);
    let jumped = Rc::new(RefCell::new(None));
    let edited = Rc::new(RefCell::new(None));
    let props = {
        let jumped = jumped.clone();
        let edited = edited.clone();
        EditorProps {
            files,
            active: 0,
            diagnostics: Rc::new(analysis.diagnostics.clone()),
            jump: None,
            on_edit: Callback::from(move |t| *edited.borrow_mut() = Some(t)),
            on_select: Callback::noop(),
            on_add: Callback::noop(),
            on_rename: Callback::noop(),
            on_delete: Callback::noop(),
            on_jump: Callback::from(move |j| *jumped.borrow_mut() = Some(j)),
            on_picked: Callback::noop(),
            template_namespace: "x".to_string(),
            on_add_files: Callback::noop(),
        }
    };
    let root = root();
    yew::Renderer::<Editor>::with_root_and_props(root.clone(), props).render();
    settle().await;

    let marker = root
        .query_selector("[data-testid=gutter-marker]")
        .ok()
        .flatten()
        .expect("a gutter marker");
    assert_eq!(marker.get_attribute("data-line").as_deref(), Some("8"));
    assert!(marker.get_attribute("title").unwrap_or_default().contains("NP0010"));

    let problem = root
        .query_selector("[data-testid=problem]")
        .ok()
        .flatten()
        .expect("a problem row");
    problem.dyn_ref::<web_sys::HtmlElement>().expect("html").click();
    settle().await;
    assert_eq!(jumped.borrow().clone(), Some(("np.yaml".to_string(), 8)));

    // Typing reaches the state as the new text (the textarea fires bubbling input events).
    let textarea: web_sys::HtmlTextAreaElement = root
        .query_selector("[data-testid=editor]")
        .ok()
        .flatten()
        .expect("editor")
        .dyn_into()
        .expect("textarea");
    textarea.set_value("kind: Pod\n");
    let init = web_sys::EventInit::new();
    init.set_bubbles(true);
    let event = web_sys::InputEvent::new_with_event_init_dict("input", &init.unchecked_into()).expect("event");
    textarea.dispatch_event(&event).expect("dispatch");
    settle().await;
    assert_eq!(edited.borrow().clone().as_deref(), Some("kind: Pod\n"));
}

/// The mesh checks reach the Problems panel like any other: istioctl's code, the message,
/// and a click that jumps to the line the message is about (issue 13: the same codes in
/// the app as in `netplay analyze`).
#[wasm_bindgen_test]
async fn problems_list_shows_istio_codes_and_jumps_to_their_line() {
    // The VirtualService routes to subset v2, which the DestinationRule does not define:
    // istioctl reports IST0101 at the destination's `subset` (line 19).
    let mesh = "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: api, namespace: x}\nspec:\n  host: api\n  subsets:\n  - name: v1\n    labels: {version: v1}\n---\napiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: api, namespace: x}\nspec:\n  hosts: [api]\n  http:\n  - route:\n    - destination:\n        host: api\n        subset: v2\n";
    let analysis = Analysis::new(&[SourceFile::new("mesh.yaml", mesh)]);
    let jumped = Rc::new(RefCell::new(None));
    let props = {
        let jumped = jumped.clone();
        EditorProps {
            files: vec![File::new("mesh.yaml", mesh)],
            active: 0,
            diagnostics: Rc::new(analysis.diagnostics.clone()),
            jump: None,
            on_edit: Callback::noop(),
            on_select: Callback::noop(),
            on_add: Callback::noop(),
            on_rename: Callback::noop(),
            on_delete: Callback::noop(),
            on_jump: Callback::from(move |j| *jumped.borrow_mut() = Some(j)),
            on_picked: Callback::noop(),
            template_namespace: "x".to_string(),
            on_add_files: Callback::noop(),
        }
    };
    let root = root();
    yew::Renderer::<Editor>::with_root_and_props(root.clone(), props).render();
    settle().await;

    let problem = root
        .query_selector("[data-testid=problem]")
        .ok()
        .flatten()
        .expect("a problem row");
    let text = problem.text_content().unwrap_or_default();
    assert!(text.contains("IST0101"), "{text}");
    assert!(text.contains("mesh.yaml:19"), "{text}");
    assert!(text.contains("\"api+v2\""), "{text}");
    let marker = root
        .query_selector("[data-testid=gutter-marker]")
        .ok()
        .flatten()
        .expect("a gutter marker");
    assert_eq!(marker.get_attribute("data-line").as_deref(), Some("19"));
    problem.dyn_ref::<web_sys::HtmlElement>().expect("html").click();
    settle().await;
    assert_eq!(jumped.borrow().clone(), Some(("mesh.yaml".to_string(), 19)));
}
