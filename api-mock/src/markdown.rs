//! Markdown to safe HTML: rendered with pulldown-cmark, then sanitized with ammonia, so that no script
//! from an article, a ticket or an announcement ever runs in a reader's browser.

use pulldown_cmark::{Options, Parser, html};

pub fn render(markdown: &str) -> String {
    let options =
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    let mut unsafe_html = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut unsafe_html, Parser::new_ext(markdown, options));
    ammonia::Builder::default()
        .link_rel(Some("noopener noreferrer nofollow"))
        .clean(&unsafe_html)
        .to_string()
}

/// The attachments a document names by their address (`/api/v1/attachments/ID`, as the portal inserts an
/// image), each once, in order.
pub fn attachment_refs(markdown: &str) -> Vec<i64> {
    const PREFIX: &str = "/api/v1/attachments/";
    let mut ids = Vec::new();
    for (i, _) in markdown.match_indices(PREFIX) {
        let digits: String = markdown[i + PREFIX.len()..]
            .chars()
            .take_while(char::is_ascii_digit)
            .take(18)
            .collect();
        if let Ok(id) = digits.parse::<i64>()
            && !ids.contains(&id)
        {
            ids.push(id);
        }
    }
    ids
}

/// The text of a Markdown document without its markup, for search and summaries.
pub fn plain_text(markdown: &str) -> String {
    use pulldown_cmark::{Event, TagEnd};
    let mut out = String::with_capacity(markdown.len());
    for event in Parser::new_ext(markdown, Options::ENABLE_TABLES) {
        match event {
            Event::Text(t) | Event::Code(t) => out.push_str(&t),
            Event::SoftBreak | Event::HardBreak => out.push(' '),
            Event::End(
                TagEnd::Paragraph
                | TagEnd::Heading(_)
                | TagEnd::Item
                | TagEnd::TableCell
                | TagEnd::CodeBlock,
            ) => out.push('\n'),
            _ => {}
        }
    }
    out
}

/// The first sentences of a document, up to about `max` characters.
pub fn summary(markdown: &str, max: usize) -> String {
    let text = plain_text(markdown);
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= max {
        return flat;
    }
    let cut: String = flat.chars().take(max).collect();
    match cut.rfind(' ') {
        Some(i) => format!("{}…", &cut[..i]),
        None => format!("{cut}…"),
    }
}

/// `text` with `&`, `<`, `>` and `"` escaped: safe as HTML or XML text and inside double-quoted
/// attributes (search snippets, the sitemap).
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::render;

    #[test]
    fn renders_markdown() {
        let html = render("## Passo a passo\n\n1. Abra **Fiscal**\n2. Clique em `Emitir`");
        assert!(html.contains("<h2>Passo a passo</h2>"), "{html}");
        assert!(html.contains("<strong>Fiscal</strong>"), "{html}");
        assert!(html.contains("<code>Emitir</code>"), "{html}");
    }

    #[test]
    fn removes_scripts_and_handlers() {
        let html = render(
            "<script>alert(1)</script><img src=x onerror=alert(2)>\n\n[a](javascript:alert(3))",
        );
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("onerror"), "{html}");
        assert!(!html.contains("javascript:"), "{html}");
    }
}
