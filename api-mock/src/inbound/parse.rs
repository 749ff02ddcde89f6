//! Reading an incoming mail, as pure functions: its sender, subject, thread, text (HTML-only mails made
//! plain), attachments, whether it is an automatic mail or a bounce, and the reply without the quoted
//! history (kept apart for staff).

use mailparse::{DispositionType, MailHeaderMap, ParsedMail};

/// The line at the top of our notifications: a reply's text ends above it.
pub const REPLY_MARKER: &str = "##- Responda acima desta linha / Reply above this line -##";

/// What kind of mail it is, for deciding whether it may open a ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// Written by a person.
    Personal,
    /// An out-of-office answer, a list's or a robot's mail: never a ticket, never answered.
    Automatic,
    /// A delivery-status report: these addresses could not be written to.
    Bounce { failed: Vec<String> },
}

/// A file carried by the mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// An incoming mail, read.
#[derive(Debug, Clone)]
pub struct Incoming {
    /// Without the angle brackets.
    pub message_id: Option<String>,
    /// In-Reply-To then References, newest first, without brackets.
    pub thread: Vec<String>,
    /// Lowercase.
    pub from: Option<String>,
    pub from_name: Option<String>,
    pub subject: String,
    /// The whole text, HTML-only mails converted.
    pub text: String,
    pub attachments: Vec<Part>,
    pub kind: Kind,
}

impl Incoming {
    /// Whether the subject says it is a forward: its quoted part is the content, not history.
    pub fn forwarded(&self) -> bool {
        let s = strip_reply_prefixes(&self.subject).to_lowercase();
        ["fwd:", "fw:", "enc:", "tr:"]
            .iter()
            .any(|p| s.starts_with(p))
            || self.text.lines().any(is_forward_header)
    }
}

fn is_forward_header(line: &str) -> bool {
    let l = line.trim().trim_matches('-').trim().to_lowercase();
    l == "forwarded message" || l == "mensagem encaminhada" || l == "begin forwarded message:"
}

/// Message-IDs in a header (`<a@b> <c@d>`), without brackets.
pub fn message_ids(value: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = value;
    while let Some(start) = rest.find('<') {
        let Some(len) = rest[start..].find('>') else {
            break;
        };
        let id = rest[start + 1..start + len].trim();
        if !id.is_empty() {
            out.push(id.to_owned());
        }
        rest = &rest[start + len + 1..];
    }
    if out.is_empty() {
        out.extend(
            value
                .split_whitespace()
                .filter(|w| w.contains('@'))
                .map(str::to_owned),
        );
    }
    out
}

/// Reads a mail; `Err` when it is not one.
pub fn parse(raw: &[u8]) -> Result<Incoming, String> {
    let mail = mailparse::parse_mail(raw).map_err(|e| e.to_string())?;
    let h = &mail.headers;
    let (from, from_name) = h
        .get_all_headers("From")
        .first()
        .and_then(|fh| mailparse::addrparse_header(fh).ok())
        .and_then(|list| {
            list.iter().find_map(|a| match a {
                mailparse::MailAddr::Single(s) => Some(s.clone()),
                mailparse::MailAddr::Group(g) => g.addrs.first().cloned(),
            })
        })
        .map(|s| (Some(s.addr.trim().to_lowercase()), s.display_name))
        .unwrap_or((None, None));
    let subject = h
        .get_first_value("Subject")
        .map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "))
        .unwrap_or_default();
    let message_id = h
        .get_first_value("Message-ID")
        .and_then(|v| message_ids(&v).into_iter().next());
    let mut thread = Vec::new();
    if let Some(v) = h.get_first_value("In-Reply-To") {
        thread.extend(message_ids(&v));
    }
    if let Some(v) = h.get_first_value("References") {
        // The newest reference is last: look at it first.
        thread.extend(message_ids(&v).into_iter().rev());
    }
    let kind = kind(&mail);
    let mut plain = None;
    let mut html = None;
    let mut attachments = Vec::new();
    collect(&mail, &mut plain, &mut html, &mut attachments);
    let text = match (plain, html) {
        (Some(p), _) if !p.trim().is_empty() => p,
        (_, Some(h)) => html_to_text(&h),
        (p, None) => p.unwrap_or_default(),
    };
    Ok(Incoming {
        message_id,
        thread,
        from,
        from_name: from_name.filter(|n| !n.trim().is_empty()),
        subject,
        text: text.replace("\r\n", "\n"),
        attachments,
        kind,
    })
}

/// The first text/plain and text/html bodies that are not attachments, and the files.
fn collect(
    part: &ParsedMail<'_>,
    plain: &mut Option<String>,
    html: &mut Option<String>,
    files: &mut Vec<Part>,
) {
    let mime = part.ctype.mimetype.to_lowercase();
    if mime.starts_with("multipart/") {
        for sub in &part.subparts {
            collect(sub, plain, html, files);
        }
        return;
    }
    let disposition = part.get_content_disposition();
    let name = disposition
        .params
        .get("filename")
        .or_else(|| part.ctype.params.get("name"))
        .cloned();
    let attached = disposition.disposition == DispositionType::Attachment || name.is_some();
    if !attached && mime == "text/plain" && plain.is_none() {
        *plain = part.get_body().ok();
    } else if !attached && mime == "text/html" && html.is_none() {
        *html = part.get_body().ok();
    } else if let Ok(bytes) = part.get_body_raw()
        && (attached || !mime.starts_with("text/"))
        && !bytes.is_empty()
    {
        let name = name.unwrap_or_else(|| format!("anexo-{}", files.len() + 1));
        files.push(Part { name, bytes });
    }
}

/// Whether a person wrote it (RFC 3834 and what robots put in practice).
fn kind(mail: &ParsedMail<'_>) -> Kind {
    let h = &mail.headers;
    let ct = &mail.ctype;
    let report = ct.mimetype.eq_ignore_ascii_case("multipart/report")
        && ct
            .params
            .get("report-type")
            .is_some_and(|t| t.eq_ignore_ascii_case("delivery-status"));
    let from = h.get_first_value("From").unwrap_or_default().to_lowercase();
    let daemon = from.contains("mailer-daemon") || from.contains("postmaster@");
    if report || (daemon && h.get_first_value("X-Failed-Recipients").is_some()) {
        let mut failed = Vec::new();
        find_failed(mail, &mut failed);
        if let Some(v) = h.get_first_value("X-Failed-Recipients") {
            failed.extend(v.split(',').map(|a| a.trim().to_lowercase()));
        }
        failed.retain(|a| a.contains('@'));
        failed.sort();
        failed.dedup();
        return Kind::Bounce { failed };
    }
    let auto = h
        .get_first_value("Auto-Submitted")
        .is_some_and(|v| !v.trim().eq_ignore_ascii_case("no"));
    let precedence = h.get_first_value("Precedence").is_some_and(|v| {
        matches!(
            v.trim().to_lowercase().as_str(),
            "bulk" | "junk" | "list" | "auto_reply"
        )
    });
    let robots = ["X-Autoreply", "X-Autorespond", "X-Autoresponder", "List-Id"]
        .iter()
        .any(|n| h.get_first_value(n).is_some());
    if auto || precedence || robots || daemon {
        Kind::Automatic
    } else {
        Kind::Personal
    }
}

/// The `Final-Recipient` of every `Action: failed` in a delivery-status part.
fn find_failed(part: &ParsedMail<'_>, out: &mut Vec<String>) {
    let mime = part.ctype.mimetype.to_lowercase();
    if mime == "message/delivery-status" {
        let body = part
            .get_body_raw()
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default();
        // Per-recipient blocks are separated by blank lines.
        for block in body.replace("\r\n", "\n").split("\n\n") {
            let mut recipient = None;
            let mut failed = false;
            for line in block.lines() {
                let Some((k, v)) = line.split_once(':') else {
                    continue;
                };
                match k.trim().to_lowercase().as_str() {
                    "final-recipient" | "original-recipient" if recipient.is_none() => {
                        let v = v.rsplit(';').next().unwrap_or(v);
                        recipient = Some(v.trim().trim_matches(['<', '>']).to_lowercase());
                    }
                    "action" => failed = v.trim().eq_ignore_ascii_case("failed"),
                    _ => {}
                }
            }
            if let (Some(r), true) = (recipient, failed) {
                out.push(r);
            }
        }
    }
    for sub in &part.subparts {
        find_failed(sub, out);
    }
}

/// `Re: `, `RES: `, `Enc:`... taken off a subject's start, for comparing and for a new ticket's subject.
pub fn strip_reply_prefixes(subject: &str) -> &str {
    let mut s = subject.trim();
    loop {
        let lower = s.to_lowercase();
        let Some(p) = ["re:", "res:", "aw:", "sv:", "re :"]
            .iter()
            .find(|p| lower.starts_with(**p))
        else {
            return s;
        };
        s = s[p.len()..].trim_start();
    }
}

/// The ticket number in a subject's `[#123]`.
pub fn ticket_number(subject: &str) -> Option<i64> {
    let start = subject.find("[#")?;
    let rest = &subject[start + 2..];
    let end = rest.find(']')?;
    rest[..end].trim().parse().ok().filter(|n: &i64| *n > 0)
}

/// The reply's own text and the quoted history below it (`None`: nothing was quoted). A forward keeps
/// its quoted mail: only our marker cuts it.
pub fn strip_quotes(text: &str, forwarded: bool) -> (String, Option<String>) {
    let lines: Vec<&str> = text.lines().collect();
    let cut = cut_line(&lines, forwarded);
    let Some(cut) = cut else {
        return (text.trim_end().to_owned(), None);
    };
    let reply = lines[..cut].join("\n").trim().to_owned();
    let quoted = lines[cut..].join("\n").trim().to_owned();
    if reply.is_empty() {
        // Nothing above the quote (an answer written inside it): keep everything.
        return (text.trim_end().to_owned(), None);
    }
    (reply, (!quoted.is_empty()).then_some(quoted))
}

fn unquoted(line: &str) -> &str {
    line.trim_start_matches(|c: char| c == '>' || c.is_whitespace())
}

/// The first line of the quoted history, if any.
fn cut_line(lines: &[&str], forwarded: bool) -> Option<usize> {
    let marker = lines.iter().position(|l| {
        let l = unquoted(l);
        l.contains("Responda acima desta linha") || l.contains("Reply above this line")
    });
    if forwarded {
        return marker;
    }
    let mut best = marker;
    let mut take = |i: usize| {
        if best.is_none_or(|b| i < b) {
            best = Some(i);
        }
    };
    for (i, line) in lines.iter().enumerate() {
        let l = line.trim();
        let lower = l.to_lowercase();
        // Gmail and Apple Mail: "On Thu, 3 Dec 2026 at 10:00, Ana <a@b> wrote:", "Em ..., Ana escreveu:",
        // sometimes wrapped over two or three lines.
        if lower.starts_with("on ") || lower.starts_with("em ") || lower.starts_with("le ") {
            let joined: String = lines[i..lines.len().min(i + 3)]
                .iter()
                .map(|s| s.trim())
                .collect::<Vec<_>>()
                .join(" ")
                .to_lowercase();
            let end = joined
                .find("wrote:")
                .or_else(|| joined.find("escreveu:"))
                .or_else(|| joined.find("a écrit :"));
            if end.is_some_and(|e| e < 300) {
                take(i);
                break;
            }
        }
        // Outlook: "-----Original Message-----", or a "From:/De:" block with "Sent:/Enviado:".
        if lower.contains("-----original message-----")
            || lower.contains("-----mensagem original-----")
        {
            take(i);
            break;
        }
        if lower.starts_with("from:") || lower.starts_with("de:") {
            let block = lines[i..lines.len().min(i + 5)].iter().any(|s| {
                let s = s.trim().to_lowercase();
                s.starts_with("sent:") || s.starts_with("enviado:") || s.starts_with("date:")
            });
            if block {
                // A rule line just above belongs to the block.
                let start = if i > 0 && lines[i - 1].trim().starts_with("____") {
                    i - 1
                } else {
                    i
                };
                take(start);
                break;
            }
        }
    }
    // A run of "> " lines that goes to the end (blank lines allowed) is history.
    let mut end_run = None;
    for i in (0..lines.len()).rev() {
        let l = lines[i].trim();
        if l.starts_with('>') {
            end_run = Some(i);
        } else if !l.is_empty() {
            break;
        }
    }
    if let Some(i) = end_run {
        take(i);
    }
    best
}

/// HTML made into plain text: blocks on their own lines, links kept as `text (url)`, scripts and styles
/// dropped, entities decoded. The result is plain text, never markup: it is rendered as any message is.
pub fn html_to_text(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    let mut skip_until: Option<&'static str> = None;
    let mut href: Option<String> = None;
    let mut in_quote = 0usize;
    while !rest.is_empty() {
        if let Some(end_tag) = skip_until {
            match find_ci(rest, end_tag) {
                Some(i) => {
                    rest = &rest[i..];
                    skip_until = None;
                }
                None => break,
            }
            continue;
        }
        let Some(lt) = rest.find('<') else {
            push_text(&mut out, rest, in_quote);
            break;
        };
        push_text(&mut out, &rest[..lt], in_quote);
        rest = &rest[lt..];
        if rest.starts_with("<!--") {
            rest = rest.find("-->").map_or("", |i| &rest[i + 3..]);
            continue;
        }
        let Some(gt) = rest.find('>') else { break };
        let tag = &rest[1..gt];
        rest = &rest[gt + 1..];
        let closing = tag.starts_with('/');
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_lowercase();
        match name.as_str() {
            "script" | "style" | "head" | "title" if !closing => {
                skip_until = Some(match name.as_str() {
                    "script" => "</script",
                    "style" => "</style",
                    "head" => "</head",
                    _ => "</title",
                });
            }
            "br" => newline(&mut out, in_quote),
            "p" | "div" | "tr" | "table" | "ul" | "ol" | "h1" | "h2" | "h3" | "h4" | "h5"
            | "h6" | "hr" | "pre" => {
                newline(&mut out, in_quote);
                if name == "p" && closing {
                    newline(&mut out, in_quote);
                }
            }
            "blockquote" => {
                newline(&mut out, in_quote);
                if closing {
                    in_quote = in_quote.saturating_sub(1);
                } else {
                    in_quote += 1;
                }
                newline(&mut out, in_quote);
            }
            "li" if !closing => {
                newline(&mut out, in_quote);
                out.push_str("- ");
            }
            "td" | "th" if !closing => out.push(' '),
            "a" if !closing => {
                href = attr(tag, "href").filter(|h| h.starts_with("http"));
            }
            "a" => {
                if let Some(h) = href.take()
                    && !out.trim_end().ends_with(&h)
                {
                    out.push_str(&format!(" ({h})"));
                }
            }
            _ => {}
        }
    }
    // Collapse runs of blank lines and trailing spaces.
    let mut clean = String::new();
    let mut blank = 0;
    for line in out.lines() {
        let line = line.trim_end();
        if line.trim_start_matches('>').trim().is_empty() {
            blank += 1;
            if blank > 1 {
                continue;
            }
            clean.push('\n');
        } else {
            blank = 0;
            clean.push_str(line.trim_start_matches(' '));
            clean.push('\n');
        }
    }
    clean.trim().to_owned()
}

fn find_ci(hay: &str, needle: &str) -> Option<usize> {
    hay.to_ascii_lowercase().find(needle)
}

fn attr(tag: &str, name: &str) -> Option<String> {
    let lower = tag.to_ascii_lowercase();
    let i = lower.find(&format!("{name}="))?;
    let v = &tag[i + name.len() + 1..];
    let v = v.trim_start();
    let (q, v) = match v.chars().next()? {
        c @ ('"' | '\'') => (Some(c), &v[1..]),
        _ => (None, v),
    };
    let end = match q {
        Some(q) => v.find(q)?,
        None => v.find(char::is_whitespace).unwrap_or(v.len()),
    };
    Some(decode_entities(&v[..end]))
}

fn newline(out: &mut String, quote: usize) {
    out.push('\n');
    for _ in 0..quote {
        out.push_str("> ");
    }
}

fn push_text(out: &mut String, text: &str, quote: usize) {
    let decoded = decode_entities(text);
    let mut last_space = out.ends_with([' ', '\n']);
    for c in decoded.chars() {
        if c.is_whitespace() && c != '\u{a0}' {
            if !last_space {
                out.push(' ');
                last_space = true;
            }
        } else {
            if out.ends_with('\n') {
                for _ in 0..quote {
                    out.push_str("> ");
                }
            }
            out.push(if c == '\u{a0}' { ' ' } else { c });
            last_space = false;
        }
    }
}

/// The named entities of Portuguese letters (and a few more) that HTML mails use.
fn latin1(name: &str) -> Option<char> {
    const TABLE: &[(&str, char)] = &[
        ("aacute", 'á'),
        ("eacute", 'é'),
        ("iacute", 'í'),
        ("oacute", 'ó'),
        ("uacute", 'ú'),
        ("Aacute", 'Á'),
        ("Eacute", 'É'),
        ("Iacute", 'Í'),
        ("Oacute", 'Ó'),
        ("Uacute", 'Ú'),
        ("atilde", 'ã'),
        ("otilde", 'õ'),
        ("Atilde", 'Ã'),
        ("Otilde", 'Õ'),
        ("ccedil", 'ç'),
        ("Ccedil", 'Ç'),
        ("acirc", 'â'),
        ("ecirc", 'ê'),
        ("ocirc", 'ô'),
        ("Acirc", 'Â'),
        ("Ecirc", 'Ê'),
        ("Ocirc", 'Ô'),
        ("agrave", 'à'),
        ("Agrave", 'À'),
        ("uuml", 'ü'),
        ("ntilde", 'ñ'),
        ("hellip", '…'),
        ("ndash", '–'),
        ("mdash", '—'),
        ("laquo", '«'),
        ("raquo", '»'),
        ("ldquo", '“'),
        ("rdquo", '”'),
        ("lsquo", '‘'),
        ("rsquo", '’'),
        ("copy", '©'),
        ("reg", '®'),
        ("euro", '€'),
        ("ordm", 'º'),
        ("ordf", 'ª'),
    ];
    TABLE.iter().find(|(n, _)| *n == name).map(|(_, c)| *c)
}

fn decode_entities(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let Some(end) = rest[..rest.len().min(12)].find(';') else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let name = &rest[1..end];
        let c = match name {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            "nbsp" => Some('\u{a0}'),
            _ if latin1(name).is_some() => latin1(name),
            _ if name.starts_with("#x") || name.starts_with("#X") => {
                u32::from_str_radix(&name[2..], 16)
                    .ok()
                    .and_then(char::from_u32)
            }
            _ if name.starts_with('#') => name[1..].parse().ok().and_then(char::from_u32),
            _ => None,
        };
        match c {
            Some(c) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gmail_replies_lose_the_quote_wrapped_attribution_included() {
        let text = "Ainda não funciona.\n\nOn Thu, Dec 3, 2026 at 10:00 AM Suporte <\nsuporte@example.com> wrote:\n\n> ##- Responda acima desta linha / Reply above this line -##\n> Olá";
        let (reply, quoted) = strip_quotes(text, false);
        assert_eq!(reply, "Ainda não funciona.");
        assert!(quoted.unwrap().starts_with("On Thu"));
        let pt = "Obrigado!\n\nEm qui., 3 de dez. de 2026 às 10:00, Carla escreveu:\n> texto";
        assert_eq!(strip_quotes(pt, false).0, "Obrigado!");
    }

    #[test]
    fn outlook_replies_lose_the_header_block() {
        let text = "Segue o print.\r\n\r\n________________________________\r\nFrom: Suporte <s@example.com>\r\nSent: Thursday, December 3, 2026 10:00\r\nTo: Ana\r\nSubject: [#4] Nova resposta\r\n\r\nOlá";
        let text = text.replace("\r\n", "\n");
        let (reply, quoted) = strip_quotes(&text, false);
        assert_eq!(reply, "Segue o print.");
        assert!(quoted.unwrap().starts_with("____"));
        let pt = "Ok\n\n-----Mensagem original-----\nDe: x";
        assert_eq!(strip_quotes(pt, false).0, "Ok");
    }

    #[test]
    fn our_marker_cuts_even_without_an_attribution_and_forwards_keep_their_content() {
        let text = "Resolvido, obrigado\n##- Responda acima desta linha / Reply above this line -##\nOlá Ana";
        assert_eq!(strip_quotes(text, false).0, "Resolvido, obrigado");
        let fwd = "Veja abaixo.\n\n---------- Forwarded message ---------\nFrom: Cliente <c@x.com>\nDate: Thu\nSubject: erro\n\nA nota não sai.";
        let (reply, quoted) = strip_quotes(fwd, true);
        assert_eq!(reply, fwd);
        assert!(quoted.is_none());
    }

    #[test]
    fn a_trailing_run_of_quoted_lines_is_history_but_inline_answers_are_kept() {
        let (reply, quoted) = strip_quotes("Sim.\n\n> pergunta\n> mais\n", false);
        assert_eq!(reply, "Sim.");
        assert_eq!(quoted.as_deref(), Some("> pergunta\n> mais"));
        let inline = "> pergunta 1\nresposta 1\n> pergunta 2\nresposta 2";
        assert_eq!(strip_quotes(inline, false).0, inline);
        // Only a quote: nothing is lost.
        assert_eq!(strip_quotes("> só isto", false).0, "> só isto");
    }

    #[test]
    fn html_becomes_safe_plain_text() {
        let html = "<html><head><style>p{color:red}</style><title>x</title></head><body>\
            <p>Ol&aacute; &amp; bom dia,</p><div>A <b>nota</b> n&atilde;o sai.<br>Veja <a href=\"https://x.example/a\">o link</a>.</div>\
            <script>alert(1)</script><ul><li>um</li><li>dois</li></ul>\
            <blockquote>citado</blockquote>&lt;script&gt;</body></html>";
        let text = html_to_text(html);
        assert!(!text.contains("alert"), "{text}");
        assert!(!text.contains("color:red"), "{text}");
        assert!(text.contains("A nota"), "{text}");
        assert!(text.contains("o link (https://x.example/a)"), "{text}");
        assert!(text.contains("- um\n- dois"), "{text}");
        assert!(text.contains("> citado"), "{text}");
        assert!(text.ends_with("<script>"), "{text}");
    }

    #[test]
    fn subjects_name_tickets_and_lose_reply_prefixes() {
        assert_eq!(ticket_number("RE: [#123] Nova resposta: x"), Some(123));
        assert_eq!(ticket_number("[#abc] x"), None);
        assert_eq!(ticket_number("nada"), None);
        assert_eq!(strip_reply_prefixes("RES: Re: Fwd: x"), "Fwd: x");
    }

    #[test]
    fn message_ids_come_without_brackets() {
        assert_eq!(
            message_ids("<a@b> \r\n <c@d>"),
            vec!["a@b".to_string(), "c@d".to_string()]
        );
    }

    #[test]
    fn robots_and_bounces_are_told_apart_from_people() {
        let auto = b"From: Ana <ana@x.com>\r\nAuto-Submitted: auto-replied\r\nSubject: Fora do escritorio\r\n\r\nVolto segunda.";
        assert_eq!(parse(auto).unwrap().kind, Kind::Automatic);
        let bulk = b"From: news@x.com\r\nPrecedence: bulk\r\nSubject: x\r\n\r\ny";
        assert_eq!(parse(bulk).unwrap().kind, Kind::Automatic);
        let person = b"From: Ana <ANA@X.com>\r\nSubject: =?UTF-8?B?RW1pc3PDo28gZGUgbm90YQ==?=\r\nMessage-ID: <m1@x.com>\r\n\r\nOi";
        let p = parse(person).unwrap();
        assert_eq!(p.kind, Kind::Personal);
        assert_eq!(p.subject, "Emissão de nota");
        assert_eq!(p.from.as_deref(), Some("ana@x.com"));
        assert_eq!(p.message_id.as_deref(), Some("m1@x.com"));
        let bounce = "From: Mail Delivery System <MAILER-DAEMON@mx.example.com>\r\n\
            Subject: Undelivered Mail Returned to Sender\r\n\
            Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\r\n\r\n\
            --b\r\nContent-Type: text/plain\r\n\r\nSorry.\r\n\
            --b\r\nContent-Type: message/delivery-status\r\n\r\n\
            Reporting-MTA: dns; mx.example.com\r\n\r\n\
            Final-Recipient: rfc822; Gone@Example.org\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n\
            --b--\r\n";
        assert_eq!(
            parse(bounce.as_bytes()).unwrap().kind,
            Kind::Bounce {
                failed: vec!["gone@example.org".into()]
            }
        );
    }

    #[test]
    fn html_only_mails_and_attachments_are_read() {
        let raw = "From: a@x.com\r\nSubject: s\r\nContent-Type: multipart/mixed; boundary=\"m\"\r\n\r\n\
            --m\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Ol&aacute;</p>\r\n\
            --m\r\nContent-Type: text/csv; name=\"dados.csv\"\r\nContent-Disposition: attachment; filename=\"dados.csv\"\r\n\
            Content-Transfer-Encoding: base64\r\n\r\nYSxiCjEsMgo=\r\n--m--\r\n";
        let p = parse(raw.as_bytes()).unwrap();
        assert_eq!(p.text, "Olá");
        assert_eq!(
            p.attachments,
            vec![Part {
                name: "dados.csv".into(),
                bytes: b"a,b\n1,2\n".to_vec()
            }]
        );
    }
}
