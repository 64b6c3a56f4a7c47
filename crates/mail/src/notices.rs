//! The words of every mail a customer gets about their request, in one place so that a
//! translation is one more [`Words`] value: the acknowledgement, a staff reply, resolved
//! (with the satisfaction survey link), merged into another request, and a promised time
//! for the next update. Each mail is plain text plus an HTML alternative built from
//! escaped parts; the HTML a reply carries is sanitised. Pure: no clock, no I/O.

use crate::escape_html;

/// Every sentence of the customer's mail. `{name}`-style holes are filled with escaped
/// values (in HTML) or the values as they are (in text).
#[derive(Debug, Clone, Copy)]
pub struct Words {
    /// `{id}`, `{subject}`.
    pub subject: &'static str,
    /// `{name}`.
    pub greeting: &'static str,
    /// `{id}`.
    pub footer: &'static str,
    /// `{id}`.
    pub acknowledged: &'static str,
    pub acknowledged_more: &'static str,
    /// `{id}`, `{subject}`.
    pub resolved: &'static str,
    pub resolved_reopen: &'static str,
    pub survey: &'static str,
    pub survey_link: &'static str,
    /// `{id}`, `{into}`, `{into_subject}`.
    pub merged: &'static str,
    /// `{into}`.
    pub merged_more: &'static str,
    /// `{id}`, `{due}`.
    pub promised: &'static str,
    /// `{lapsed}`, `{due}`.
    pub repromised: &'static str,
    /// `{note}`.
    pub promise_note: &'static str,
}

pub const ENGLISH: Words = Words {
    subject: "Re: [#{id}] {subject}",
    greeting: "Hello {name},",
    footer: "Reply to this mail to answer; it goes to the same request (#{id}).",
    acknowledged: "We have your request #{id} and someone will answer soon.",
    acknowledged_more: "To add anything, reply to this mail; it goes to the same request.",
    resolved: "We have resolved your request #{id} «{subject}».",
    resolved_reopen: "If it is not solved for you, just reply to this mail: the request opens again.",
    survey: "How did we do? Your rating takes one click and helps us help you better:",
    survey_link: "Rate our help",
    merged: "Your request #{id} is now handled together with your request #{into} «{into_subject}», which continues; you do not need to do anything.",
    merged_more: "Everything from #{id} is kept there. Replies to this mail reach request #{into}.",
    promised: "We will update you on your request #{id} by {due}.",
    repromised: "We said we would update you by {lapsed} and did not manage it; we are sorry. We will update you by {due}.",
    promise_note: "{note}",
};

/// Which request a mail is about, and whom it greets.
#[derive(Debug, Clone, Copy)]
pub struct About<'a> {
    pub ticket_id: i64,
    pub subject: &'a str,
    pub name: &'a str,
}

/// What the mail tells.
#[derive(Debug, Clone, Copy)]
pub enum Notice<'a> {
    /// A new request was taken in.
    Acknowledged,
    /// A staff member's public reply: its text, its HTML if it has one (sanitised here),
    /// and who wrote it.
    Reply {
        text: &'a str,
        html: Option<&'a str>,
        author: &'a str,
    },
    /// Resolved; the link rates the help.
    Resolved { survey_url: &'a str },
    /// Merged into `into_id`, which continues.
    Merged { into_id: i64, into_subject: &'a str },
    /// The next update is promised by `due` (written for the customer); `lapsed` is the
    /// earlier promised time that passed, if this one replaces a broken promise.
    Promised {
        due: &'a str,
        note: Option<&'a str>,
        lapsed: Option<&'a str>,
    },
}

/// A mail ready for the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Composed {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// `template` with each `{key}` replaced by `escape(value)`.
fn fill(template: &str, vars: &[(&str, &str)], escape: fn(&str) -> String) -> String {
    let mut out = template.to_string();
    for (key, value) in vars {
        out = out.replace(&format!("{{{key}}}"), &escape(value));
    }
    out
}

fn as_is(s: &str) -> String {
    s.to_string()
}

/// Escaped, line breaks kept.
fn html_text(s: &str) -> String {
    escape_html(s).replace('\n', "<br>")
}

/// Plain text as HTML paragraphs, escaped.
pub fn html_paragraphs(text: &str) -> String {
    text.split("\n\n")
        .map(|p| format!("<p>{}</p>", html_text(p)))
        .collect()
}

/// The text and HTML of a mail, paragraph by paragraph.
#[derive(Default)]
struct Body {
    text: Vec<String>,
    html: Vec<String>,
}

impl Body {
    fn say(&mut self, template: &str, vars: &[(&str, &str)]) {
        self.text.push(fill(template, vars, as_is));
        self.html
            .push(format!("<p>{}</p>", fill(template, vars, html_text)));
    }

    fn link(&mut self, label: &str, url: &str) {
        self.text.push(url.to_string());
        let url = escape_html(url);
        self.html.push(format!(
            "<p><a href=\"{url}\">{}</a></p>",
            escape_html(label)
        ));
    }
}

/// The mail telling `notice` about `about`, in `words`.
pub fn compose(words: &Words, about: &About, notice: &Notice) -> Composed {
    let id = about.ticket_id.to_string();
    let ticket = [("id", id.as_str()), ("subject", about.subject)];
    let subject = fill(words.subject, &ticket, as_is);
    let mut body = Body::default();
    match *notice {
        Notice::Acknowledged => {
            body.say(words.acknowledged, &ticket);
            body.say(words.acknowledged_more, &ticket);
            return finish(subject, body);
        }
        Notice::Reply { text, html, author } => {
            let html = format!(
                "<!doctype html><html><body>{}<p>-- <br>{}</p><p>{}</p></body></html>",
                html.map(ammonia::clean)
                    .unwrap_or_else(|| html_paragraphs(text)),
                escape_html(author),
                fill(words.footer, &ticket, html_text)
            );
            let text = format!(
                "{text}\n\n-- \n{author}\n{}\n",
                fill(words.footer, &ticket, as_is)
            );
            return Composed {
                subject,
                text,
                html,
            };
        }
        _ => {}
    }
    body.say(words.greeting, &[("name", about.name)]);
    match *notice {
        Notice::Resolved { survey_url } => {
            body.say(words.resolved, &ticket);
            body.say(words.survey, &ticket);
            body.link(words.survey_link, survey_url);
            body.say(words.resolved_reopen, &ticket);
        }
        Notice::Merged {
            into_id,
            into_subject,
        } => {
            let into = into_id.to_string();
            let vars = [
                ("id", id.as_str()),
                ("into", into.as_str()),
                ("into_subject", into_subject),
            ];
            body.say(words.merged, &vars);
            body.say(words.merged_more, &vars);
        }
        Notice::Promised { due, note, lapsed } => {
            match lapsed {
                Some(lapsed) => body.say(words.repromised, &[("lapsed", lapsed), ("due", due)]),
                None => body.say(words.promised, &[("id", id.as_str()), ("due", due)]),
            }
            if let Some(note) = note.filter(|n| !n.trim().is_empty()) {
                body.say(words.promise_note, &[("note", note)]);
            }
        }
        Notice::Acknowledged | Notice::Reply { .. } => {}
    }
    if !matches!(notice, Notice::Merged { .. }) {
        body.say(words.footer, &ticket);
    }
    finish(subject, body)
}

fn finish(subject: String, body: Body) -> Composed {
    let mut text = body.text.join("\n\n");
    text.push('\n');
    Composed {
        subject,
        text,
        html: format!(
            "<!doctype html><html><body>{}</body></html>",
            body.html.concat()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ABOUT: About = About {
        ticket_id: 7,
        subject: "VPN <drops>",
        name: "Ada <b>",
    };

    #[test]
    fn every_notice_escapes_what_people_typed() {
        let notices = [
            Notice::Acknowledged,
            Notice::Reply {
                text: "Try <this>",
                html: Some("<p onclick=\"x()\">Try</p><script>evil()</script>"),
                author: "Bo <i>",
            },
            Notice::Reply {
                text: "Try <this>\n\nthen that",
                html: None,
                author: "Bo",
            },
            Notice::Resolved {
                survey_url: "https://desk.test/requests/7?a=1&b=\"2\"",
            },
            Notice::Merged {
                into_id: 9,
                into_subject: "<img src=x>",
            },
            Notice::Promised {
                due: "Tuesday 8 December 2026, 15:00 (UTC)",
                note: Some("I'll <call> the vendor"),
                lapsed: Some("Monday 7 December 2026, 12:00 (UTC)"),
            },
        ];
        for n in &notices {
            let m = compose(&ENGLISH, &ABOUT, n);
            assert_eq!(m.subject, "Re: [#7] VPN <drops>", "{n:?}");
            for bad in [
                "<script", "onclick", "<drops>", "<img", "<call>", "<b>", "<i>", "<this>",
            ] {
                assert!(!m.html.contains(bad), "{bad} in {n:?}: {}", m.html);
            }
            assert!(m.html.starts_with("<!doctype html>"), "{n:?}");
            assert!(!m.text.contains("&lt;"), "text is not escaped: {n:?}");
        }
    }

    #[test]
    fn says_what_happened() {
        let table: [(Notice, &[&str]); 5] = [
            (
                Notice::Resolved {
                    survey_url: "https://desk.test/requests/7",
                },
                &[
                    "Hello Ada <b>,",
                    "resolved your request #7",
                    "https://desk.test/requests/7",
                    "opens again",
                ],
            ),
            (
                Notice::Merged {
                    into_id: 9,
                    into_subject: "Laptop",
                },
                &[
                    "#7 is now handled together with your request #9 «Laptop»",
                    "reach request #9",
                ],
            ),
            (
                Notice::Promised {
                    due: "Tuesday 15:00",
                    note: Some("after the vendor calls"),
                    lapsed: None,
                },
                &[
                    "update you on your request #7 by Tuesday 15:00",
                    "after the vendor calls",
                    "(#7)",
                ],
            ),
            (
                Notice::Promised {
                    due: "Tuesday 15:00",
                    note: None,
                    lapsed: Some("Monday 12:00"),
                },
                &[
                    "We said we would update you by Monday 12:00",
                    "we are sorry",
                    "by Tuesday 15:00",
                ],
            ),
            (
                Notice::Reply {
                    text: "Restart it.",
                    html: None,
                    author: "Bo",
                },
                &["Restart it.\n\n-- \nBo\n", "(#7)"],
            ),
        ];
        for (notice, says) in table {
            let m = compose(&ENGLISH, &ABOUT, &notice);
            for s in says {
                assert!(
                    m.text.contains(s),
                    "{s:?} missing from {notice:?}: {}",
                    m.text
                );
            }
        }
        let resolved = compose(
            &ENGLISH,
            &ABOUT,
            &Notice::Resolved {
                survey_url: "https://desk.test/requests/7",
            },
        );
        assert!(
            resolved
                .html
                .contains("<a href=\"https://desk.test/requests/7\">Rate our help</a>"),
            "{}",
            resolved.html
        );
        let reply = compose(
            &ENGLISH,
            &ABOUT,
            &Notice::Reply {
                text: "a <b>\n\nc",
                html: None,
                author: "Bo",
            },
        );
        assert!(
            reply.html.contains("<p>a &lt;b&gt;</p><p>c</p>"),
            "{}",
            reply.html
        );
    }
}
