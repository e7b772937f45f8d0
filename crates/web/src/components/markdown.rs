//! A small Markdown renderer for the scenarios' READMEs (the About panel). It builds Yew
//! elements, never HTML text: whatever a README holds is shown as text, so it cannot
//! inject markup or script. Supported: headings, paragraphs, bullet and numbered lists,
//! fenced code, tables (as rows of cells), inline code, bold, italics and links (only
//! http/https targets become links; others are shown as their text).

use yew::prelude::*;

/// A block of the document.
#[derive(Clone, Debug, PartialEq)]
pub enum Block {
    Heading(usize, String),
    Paragraph(String),
    List { ordered: bool, items: Vec<String> },
    Code(String),
    Table(Vec<Vec<String>>),
}

/// A piece of inline text.
#[derive(Clone, Debug, PartialEq)]
pub enum Inline {
    Text(String),
    Code(String),
    Strong(String),
    Emphasis(String),
    Link { text: String, href: String },
}

fn list_item(line: &str) -> Option<(bool, &str)> {
    let t = line.trim_start();
    if let Some(rest) = t.strip_prefix("- ").or_else(|| t.strip_prefix("* ")) {
        return Some((false, rest));
    }
    let digits = t.bytes().take_while(u8::is_ascii_digit).count();
    if digits > 0 {
        if let Some(rest) = t[digits..]
            .strip_prefix(". ")
            .or_else(|| t[digits..].strip_prefix(") "))
        {
            return Some((true, rest));
        }
    }
    None
}

fn table_row(line: &str) -> Option<Vec<String>> {
    let t = line.trim();
    let inner = t.strip_prefix('|')?.strip_suffix('|')?;
    Some(inner.split('|').map(|c| c.trim().to_string()).collect())
}

fn is_table_rule(row: &[String]) -> bool {
    row.iter()
        .all(|c| !c.is_empty() && c.chars().all(|ch| matches!(ch, '-' | ':' | ' ')))
}

/// Splits a document into blocks.
pub fn blocks(text: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut para: Vec<&str> = Vec::new();
    let flush = |para: &mut Vec<&str>, out: &mut Vec<Block>| {
        if !para.is_empty() {
            out.push(Block::Paragraph(para.join(" ")));
            para.clear();
        }
    };
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let t = line.trim();
        if t.starts_with("```") {
            flush(&mut para, &mut out);
            let mut code = Vec::new();
            for l in lines.by_ref() {
                if l.trim().starts_with("```") {
                    break;
                }
                code.push(l);
            }
            out.push(Block::Code(code.join("\n")));
        } else if t.is_empty() {
            flush(&mut para, &mut out);
        } else if t.starts_with('#') {
            flush(&mut para, &mut out);
            let level = t.chars().take_while(|c| *c == '#').count();
            out.push(Block::Heading(level.min(6), t[level..].trim().to_string()));
        } else if let Some(row) = table_row(t) {
            flush(&mut para, &mut out);
            let mut rows = vec![row];
            while let Some(next) = lines.peek().and_then(|l| table_row(l)) {
                lines.next();
                if !is_table_rule(&next) {
                    rows.push(next);
                }
            }
            out.push(Block::Table(rows));
        } else if let Some((ordered, first)) = list_item(line) {
            flush(&mut para, &mut out);
            let mut items = vec![first.trim().to_string()];
            while let Some(next) = lines.peek() {
                if let Some((_, item)) = list_item(next) {
                    items.push(item.trim().to_string());
                    lines.next();
                } else if !next.trim().is_empty() && next.starts_with([' ', '\t']) {
                    // A continuation line of the item.
                    if let Some(last) = items.last_mut() {
                        last.push(' ');
                        last.push_str(next.trim());
                    }
                    lines.next();
                } else {
                    break;
                }
            }
            out.push(Block::List { ordered, items });
        } else {
            para.push(t);
        }
    }
    flush(&mut para, &mut out);
    out
}

/// Splits a line of text into inline pieces.
pub fn inlines(text: &str) -> Vec<Inline> {
    let mut out = Vec::new();
    let mut plain = String::new();
    let mut rest = text;
    let push_plain = |plain: &mut String, out: &mut Vec<Inline>| {
        if !plain.is_empty() {
            out.push(Inline::Text(std::mem::take(plain)));
        }
    };
    while let Some(c) = rest.chars().next() {
        let found = match c {
            '`' => rest[1..]
                .find('`')
                .map(|end| (Inline::Code(rest[1..1 + end].to_string()), end + 2)),
            '*' if rest.starts_with("**") => rest[2..]
                .find("**")
                .filter(|&end| end > 0)
                .map(|end| (Inline::Strong(rest[2..2 + end].to_string()), end + 4)),
            '*' | '_' => rest[1..]
                .find(c)
                .filter(|&end| end > 0 && !rest[1..].starts_with(' '))
                .map(|end| (Inline::Emphasis(rest[1..1 + end].to_string()), end + 2)),
            '[' => rest.find("](").and_then(|mid| {
                let close = rest[mid + 2..].find(')')?;
                let text = rest[1..mid].to_string();
                let href = rest[mid + 2..mid + 2 + close].to_string();
                Some((Inline::Link { text, href }, mid + 3 + close))
            }),
            _ => None,
        };
        match found {
            Some((inline, len)) => {
                push_plain(&mut plain, &mut out);
                out.push(inline);
                rest = &rest[len..];
            }
            None => {
                plain.push(c);
                rest = &rest[c.len_utf8()..];
            }
        }
    }
    push_plain(&mut plain, &mut out);
    out
}

/// Whether a link target may become a link: absolute http(s) only.
pub fn safe_href(href: &str) -> bool {
    let h = href.trim().to_ascii_lowercase();
    (h.starts_with("https://") || h.starts_with("http://")) && !h.contains(char::is_whitespace)
}

fn inline_html(text: &str) -> Html {
    html! {
        <>
        { for inlines(text).into_iter().map(|i| match i {
            Inline::Text(t) => html! { { t } },
            Inline::Code(c) => html! { <code>{ c }</code> },
            Inline::Strong(s) => html! { <strong>{ s }</strong> },
            Inline::Emphasis(e) => html! { <em>{ e }</em> },
            Inline::Link { text, href } if safe_href(&href) => html! {
                <a href={href} target="_blank" rel="noopener noreferrer">{ text }</a>
            },
            Inline::Link { text, .. } => html! { { text } },
        }) }
        </>
    }
}

/// The document as Yew elements.
pub fn render(text: &str) -> Html {
    html! {
        <>
        { for blocks(text).into_iter().map(|b| match b {
            // Headings inside a panel start below the panel's own title (h2).
            Block::Heading(level, t) => match level {
                1 | 2 => html! { <h3>{ inline_html(&t) }</h3> },
                3 => html! { <h4>{ inline_html(&t) }</h4> },
                _ => html! { <h5>{ inline_html(&t) }</h5> },
            },
            Block::Paragraph(t) => html! { <p>{ inline_html(&t) }</p> },
            Block::List { ordered: false, items } => html! { <ul>{ for items.iter().map(|i| html! { <li>{ inline_html(i) }</li> }) }</ul> },
            Block::List { ordered: true, items } => html! { <ol>{ for items.iter().map(|i| html! { <li>{ inline_html(i) }</li> }) }</ol> },
            // Focusable: a code block wider than the panel scrolls, also by keyboard.
            Block::Code(c) => html! { <pre tabindex="0"><code>{ c }</code></pre> },
            Block::Table(rows) => html! {
                <table class="md-table">
                    { for rows.iter().enumerate().map(|(i, row)| html! {
                        <tr>{ for row.iter().map(|c| if i == 0 { html! { <th scope="col">{ inline_html(c) }</th> } } else { html! { <td>{ inline_html(c) }</td> } }) }</tr>
                    }) }
                </table>
            },
        }) }
        </>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_of_a_readme() {
        let doc = "# Title\n\nA `podSelector: {}` policy\nselects **every** pod.\n\n- one\n- two\n  continued\n\n1. first\n2. second\n\n```yaml\nkind: Pod\n```\n| a | b |\n|---|---|\n| 1 | 2 |\n";
        assert_eq!(
            blocks(doc),
            vec![
                Block::Heading(1, "Title".into()),
                Block::Paragraph("A `podSelector: {}` policy selects **every** pod.".into()),
                Block::List {
                    ordered: false,
                    items: vec!["one".into(), "two continued".into()]
                },
                Block::List {
                    ordered: true,
                    items: vec!["first".into(), "second".into()]
                },
                Block::Code("kind: Pod".into()),
                Block::Table(vec![vec!["a".into(), "b".into()], vec!["1".into(), "2".into()]]),
            ]
        );
    }

    #[test]
    fn inline_pieces_and_unsafe_links() {
        assert_eq!(
            inlines("a `x` **b** *c* [d](https://k8s.io) <script>"),
            vec![
                Inline::Text("a ".into()),
                Inline::Code("x".into()),
                Inline::Text(" ".into()),
                Inline::Strong("b".into()),
                Inline::Text(" ".into()),
                Inline::Emphasis("c".into()),
                Inline::Text(" ".into()),
                Inline::Link {
                    text: "d".into(),
                    href: "https://k8s.io".into()
                },
                Inline::Text(" <script>".into()),
            ]
        );
        assert!(safe_href("https://kubernetes.io/docs/"));
        assert!(!safe_href("javascript:alert(1)"));
        assert!(!safe_href("docs/semantics.md"));
        // Unclosed marks stay text; a lone `*` in "2 * 3" is not emphasis.
        assert_eq!(inlines("2 * 3 `open"), vec![Inline::Text("2 * 3 `open".into())]);
    }
}
