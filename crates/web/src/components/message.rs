//! The message bar under the toolbar: what just happened, or what went wrong.

use super::{dispatch, use_app};
use crate::state::{Action, MessageKind};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct MessageBarProps {
    /// A share link to show (selectable) with its message.
    pub share_link: Option<String>,
}

#[function_component]
pub fn MessageBar(props: &MessageBarProps) -> Html {
    let Some(state) = use_app() else { return html! {} };
    let Some(m) = &state.message else { return html! {} };
    let error = m.kind == MessageKind::Error;
    html! {
        <div class={classes!("message", if error { "error" } else { "info" })}
            role={if error { "alert" } else { "status" }} data-testid="message">
            <span>{ &m.text }</span>
            if let Some(link) = &props.share_link {
                <input data-testid="share-link" readonly=true value={link.clone()} aria-label="Share link"
                    onfocus={Callback::from(|e: FocusEvent| e.target_unchecked_into::<web_sys::HtmlInputElement>().select())} />
            }
            <button class="icon" aria-label="Dismiss message" data-testid="message-dismiss"
                onclick={dispatch(&state, |_: MouseEvent| Action::Message(None))}>{ "×" }</button>
        </div>
    }
}
