//! Article import for `heard kb import DIR`: turns files into [`ArticleDraft`]s.
//!
//! - Markdown (`.md`, `.markdown`, `.mdx`) with optional front matter; Docusaurus/MDX
//!   leftovers (imports, JSX tags, `:::note` admonitions) are converted or dropped.
//! - reStructuredText-like text (`.rst`, `.txt`): headings, literal and code blocks,
//!   admonitions, links and Sphinx roles become Markdown.
//! - GNOME help exported as JSON lines (`.jsonl`: `id, type, title, description, text`).
//!
//! What cannot be imported is reported as a [`Skip`] with a reason, never silently dropped.
//! The functions here are pure except [`import_dir`], which only reads files.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::Visibility;
use crate::text::markdown_to_plain;

/// An article ready to be stored (the database assigns id and version).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArticleDraft {
    /// Where it came from: a path relative to the imported folder, or `file#id` for JSON lines.
    pub source: String,
    /// Readable, unique within one import.
    pub slug: String,
    /// Title.
    pub title: String,
    /// One or two sentences.
    pub summary: String,
    /// Body in Markdown (the title is not repeated in it).
    pub body: String,
    /// Tags.
    pub tags: Vec<String>,
    /// Category path, `/`-separated; may be empty.
    pub category: String,
    /// Language tag (`en` unless the file says otherwise).
    pub locale: String,
    /// Public unless the front matter says otherwise.
    pub visibility: Visibility,
}

/// A file (or line) that was not imported, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skip {
    /// The file, relative to the imported folder (`file#line N` for JSON lines).
    pub file: String,
    /// Why, in words an admin understands.
    pub reason: String,
}

/// The outcome of importing a folder.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ImportReport {
    /// Articles to store.
    pub articles: Vec<ArticleDraft>,
    /// What was left out.
    pub skipped: Vec<Skip>,
}

/// Fewer words than this in the body means the page only links elsewhere.
const MIN_BODY_WORDS: usize = 20;

fn skip(file: &str, reason: impl Into<String>) -> Skip {
    Skip {
        file: file.to_string(),
        reason: reason.into(),
    }
}

/// A readable URL part: lower-case ASCII letters and digits joined by single hyphens,
/// at most 80 characters, never empty (`article` as a last resort).
pub fn slugify(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        let folded = fold_char(c);
        match folded {
            Some(s) => {
                for f in s.chars() {
                    if f.is_ascii_alphanumeric() {
                        out.push(f.to_ascii_lowercase());
                    } else if !out.ends_with('-') && !out.is_empty() {
                        out.push('-');
                    }
                }
            }
            None => {
                if !out.ends_with('-') && !out.is_empty() {
                    out.push('-');
                }
            }
        }
    }
    let mut s = out.trim_matches('-').to_string();
    if s.len() > 80 {
        s.truncate(80);
        if let Some(p) = s.rfind('-') {
            s.truncate(p);
        }
    }
    if s.is_empty() {
        "article".to_string()
    } else {
        s
    }
}

/// Common Latin letters with accents to ASCII, so "Café" becomes "cafe"; `'` vanishes
/// ("don't" → "dont"); other symbols separate words.
fn fold_char(c: char) -> Option<&'static str> {
    Some(match c {
        '\'' | '’' => "",
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' => "a",
        'ç' | 'Ç' => "c",
        'è' | 'é' | 'ê' | 'ë' | 'È' | 'É' | 'Ê' | 'Ë' => "e",
        'ì' | 'í' | 'î' | 'ï' | 'Ì' | 'Í' | 'Î' | 'Ï' => "i",
        'ñ' | 'Ñ' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' | 'Ø' => "o",
        'ù' | 'ú' | 'û' | 'ü' | 'Ù' | 'Ú' | 'Û' | 'Ü' => "u",
        'ý' | 'ÿ' | 'Ý' => "y",
        'ß' => "ss",
        'æ' | 'Æ' => "ae",
        'œ' | 'Œ' => "oe",
        '+' => "-plus-",
        '&' => "-and-",
        c if c.is_ascii_alphanumeric() => return Some(ascii_str(c)),
        _ => return None,
    })
}

fn ascii_str(c: char) -> &'static str {
    const ALNUM: &str = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let i = ALNUM.find(c).expect("ascii alphanumeric");
    &ALNUM[i..i + 1]
}

/// Words of prose: headings do not count, so a page of section titles over a table of
/// contents is recognised as empty.
fn word_count(md: &str) -> usize {
    let prose: String = md
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .collect::<Vec<_>>()
        .join("\n");
    markdown_to_plain(&prose)
        .split_whitespace()
        .filter(|w| w.chars().any(char::is_alphabetic))
        .count()
}

/// The first real paragraph of a Markdown body, as plain text, cut to about 200 characters.
fn first_paragraph(md: &str) -> String {
    let mut in_fence = false;
    let mut para: Vec<&str> = Vec::new();
    for line in md.lines() {
        let t = line.trim();
        if t.starts_with("```") {
            in_fence = !in_fence;
            if !para.is_empty() {
                break;
            }
            continue;
        }
        if in_fence {
            continue;
        }
        let structural = t.starts_with('#')
            || t.starts_with('>')
            || t.starts_with('|')
            || t.starts_with("* ")
            || t.starts_with("- ")
            || t.starts_with('<')
            || t.starts_with("![")
            || t.chars().next().is_some_and(|c| c.is_ascii_digit()) && t.contains(". ");
        if t.is_empty() || structural {
            if !para.is_empty() {
                break;
            }
            continue;
        }
        para.push(t);
    }
    let plain = markdown_to_plain(&para.join(" "));
    crate::text::truncate_words(plain.trim(), 200)
}

fn humanize_file_name(file_name: &str) -> String {
    let stem = Path::new(file_name)
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or(file_name);
    let words = stem.replace(['-', '_'], " ");
    let mut c = words.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => "Untitled".to_string(),
    }
}

// ---------------------------------------------------------------- Markdown

#[derive(Default)]
struct FrontMatter {
    fields: HashMap<String, String>,
    lists: HashMap<String, Vec<String>>,
}

impl FrontMatter {
    fn get(&self, keys: &[&str]) -> Option<String> {
        keys.iter()
            .find_map(|k| self.fields.get(*k))
            .map(|v| v.to_string())
            .filter(|v| !v.is_empty())
    }
}

fn unquote(v: &str) -> String {
    let v = v.trim();
    let quoted = v.len() >= 2
        && ((v.starts_with('"') && v.ends_with('"')) || (v.starts_with('\'') && v.ends_with('\'')));
    if quoted {
        v[1..v.len() - 1].to_string()
    } else {
        v.to_string()
    }
}

/// Splits YAML-ish front matter (`key: value`, `key: [a, b]`, and `- item` lists) from the
/// body. Anything fancier is ignored rather than failing the import.
fn split_front_matter(text: &str) -> (FrontMatter, &str) {
    let mut fm = FrontMatter::default();
    let t = text.trim_start_matches('\u{feff}');
    let Some(rest) = t.strip_prefix("---") else {
        return (fm, t);
    };
    let Some(rest) = rest
        .strip_prefix('\n')
        .or_else(|| rest.strip_prefix("\r\n"))
    else {
        return (fm, t);
    };
    let mut end = None;
    let mut offset = 0;
    for line in rest.split_inclusive('\n') {
        if line.trim_end() == "---" || line.trim_end() == "..." {
            end = Some((offset, offset + line.len()));
            break;
        }
        offset += line.len();
    }
    let Some((fm_end, body_start)) = end else {
        return (fm, t);
    };
    let mut current_list: Option<String> = None;
    for line in rest[..fm_end].lines() {
        if let Some(item) = line.trim_start().strip_prefix("- ") {
            if let Some(key) = &current_list {
                fm.lists.entry(key.clone()).or_default().push(unquote(item));
            }
            continue;
        }
        let Some((k, v)) = line.split_once(':') else {
            continue;
        };
        if line.starts_with(char::is_whitespace) {
            continue;
        }
        let key = k.trim().to_ascii_lowercase();
        let v = v.trim();
        if v.is_empty() {
            current_list = Some(key);
            continue;
        }
        current_list = None;
        if let Some(inner) = v.strip_prefix('[').and_then(|x| x.strip_suffix(']')) {
            fm.lists.insert(
                key,
                inner
                    .split(',')
                    .map(unquote)
                    .filter(|s| !s.is_empty())
                    .collect(),
            );
        } else {
            fm.fields.insert(key, unquote(v));
        }
    }
    (fm, &rest[body_start..])
}

/// Removes what only Docusaurus/MDX understands and turns `:::note` blocks into quotes.
fn clean_mdx(body: &str) -> String {
    let mut out = Vec::new();
    let mut in_fence = false;
    let mut in_admonition = false;
    let mut in_import = false;
    for line in body.lines() {
        let t = line.trim();
        if t.starts_with("```") || t.starts_with("~~~") {
            in_fence = !in_fence;
            out.push(if in_admonition {
                format!("> {line}")
            } else {
                line.to_string()
            });
            continue;
        }
        if in_fence {
            out.push(if in_admonition {
                format!("> {line}")
            } else {
                line.to_string()
            });
            continue;
        }
        if in_import {
            in_import = !(t.contains(" from ") || t.ends_with(';'));
            continue;
        }
        if t.starts_with("import ") {
            in_import = !(t.contains(" from ") || t.ends_with(';'));
            continue;
        }
        if t.starts_with("export ") {
            continue;
        }
        if let Some(rest) = t.strip_prefix(":::") {
            if rest.trim().is_empty() {
                in_admonition = false;
                out.push(String::new());
            } else {
                in_admonition = true;
                let (kind, title) = rest.split_once([' ', '[']).unwrap_or((rest, ""));
                let title = title.trim().trim_end_matches(']');
                let mut head = kind.to_string();
                if let Some(f) = head.get_mut(0..1) {
                    f.make_ascii_uppercase();
                }
                if title.is_empty() || title.eq_ignore_ascii_case(&head) {
                    out.push(format!("> **{head}:**"));
                } else {
                    out.push(format!("> **{head}: {title}**"));
                }
            }
            continue;
        }
        // A line that is only a JSX component tag (<Tabs>, </TabItem>, <Foo x="y" />).
        let jsx = t.starts_with('<')
            && t.ends_with('>')
            && t.trim_start_matches(['<', '/'])
                .starts_with(|c: char| c.is_ascii_uppercase());
        if jsx {
            continue;
        }
        out.push(if in_admonition {
            format!("> {line}")
        } else {
            line.to_string()
        });
    }
    out.join("\n")
}

/// Parses a Markdown article with optional front matter (`title`, `summary` or
/// `description`, `tags`, `category`, `locale` or `lang`, `visibility`, `slug`).
/// Without a front-matter title, the first `#` heading is the title; without a summary,
/// the first paragraph is.
pub fn parse_markdown(file_name: &str, text: &str) -> Result<ArticleDraft, Skip> {
    let (fm, body) = split_front_matter(text);
    let body = clean_mdx(body);
    let mut lines: Vec<&str> = body.lines().collect();
    // The first level-one heading is the title when the front matter has none, and is not
    // repeated in the body either way.
    let h1 = lines
        .iter()
        .position(|l| l.starts_with("# "))
        .filter(|&i| lines[..i].iter().all(|l| l.trim().is_empty()));
    let mut title = fm.get(&["title"]);
    if let Some(i) = h1 {
        let heading = lines[i][2..].trim().to_string();
        if title.is_none() {
            title = Some(markdown_to_plain(&heading));
        }
        lines.remove(i);
    }
    let title = title
        .or_else(|| fm.get(&["sidebar_label"]))
        .unwrap_or_else(|| humanize_file_name(file_name));
    let body = lines.join("\n").trim().to_string() + "\n";
    if word_count(&body) < MIN_BODY_WORDS {
        return Err(skip(
            file_name,
            format!("too little text (fewer than {MIN_BODY_WORDS} words)"),
        ));
    }
    let visibility = match fm.get(&["visibility"]) {
        None => Visibility::Public,
        Some(v) => Visibility::parse(&v).ok_or_else(|| {
            skip(
                file_name,
                format!("unknown visibility {v:?} (public, internal or draft)"),
            )
        })?,
    };
    let mut tags = fm.lists.get("tags").cloned().unwrap_or_default();
    if tags.is_empty()
        && let Some(t) = fm.get(&["tags"])
    {
        tags = t.split(',').map(|s| s.trim().to_string()).collect();
    }
    tags.retain(|t| !t.is_empty());
    Ok(ArticleDraft {
        source: file_name.to_string(),
        slug: fm
            .get(&["slug"])
            .map(|s| slugify(&s))
            .unwrap_or_else(|| slugify(&title)),
        summary: fm
            .get(&["summary", "description"])
            .unwrap_or_else(|| first_paragraph(&body)),
        title,
        body,
        tags,
        category: fm.get(&["category"]).unwrap_or_default(),
        locale: fm
            .get(&["locale", "lang", "language"])
            .unwrap_or_else(|| "en".into()),
        visibility,
    })
}

// ---------------------------------------------------------------- reStructuredText

const RST_ADORNMENTS: &str = "=-~^\"'`#*+:._";

fn is_adornment(line: &str) -> bool {
    let t = line.trim_end();
    let Some(c) = t.chars().next() else {
        return false;
    };
    t.len() >= 3 && RST_ADORNMENTS.contains(c) && t.chars().all(|x| x == c)
}

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

/// Rewrites inline reStructuredText markup as Markdown.
fn rst_inline(text: &str, targets: &HashMap<String, String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        // ``literal``
        if let Some(after) = rest.strip_prefix("``")
            && let Some(end) = after.find("``")
        {
            out.push('`');
            out.push_str(&after[..end]);
            out.push('`');
            rest = &after[end + 2..];
            continue;
        }
        // :role:`content`
        if rest.starts_with(':')
            && let Some((role, content, consumed)) = parse_role(rest)
        {
            out.push_str(&render_role(&role, &content));
            rest = &rest[consumed..];
            continue;
        }
        // `text <url>`_ , `text`_ , `text`
        if let Some(after) = rest.strip_prefix('`')
            && let Some(end) = after.find('`')
        {
            let inner = &after[..end];
            let mut consumed = 1 + end + 1;
            let is_ref = after[end + 1..].starts_with('_');
            if is_ref {
                consumed += if after[end + 1..].starts_with("__") {
                    2
                } else {
                    1
                };
            }
            let (label, url) = split_target(inner);
            let url = url.or_else(|| targets.get(&label.to_lowercase()).cloned());
            match (is_ref, url) {
                (true, Some(u)) => out.push_str(&format!("[{label}]({u})")),
                (true, None) => out.push_str(label),
                (false, _) => out.push_str(&format!("`{inner}`")),
            }
            rest = &rest[consumed..];
            continue;
        }
        // word_ reference
        let c = rest.chars().next().expect("non-empty");
        if c.is_alphanumeric() {
            let word_len = rest
                .find(|x: char| !(x.is_alphanumeric() || x == '-' || x == '.'))
                .unwrap_or(rest.len());
            let word = rest[..word_len].trim_end_matches('.');
            let after = &rest[word.len()..];
            if after.starts_with('_') && !after[1..].starts_with(|x: char| x.is_alphanumeric()) {
                match targets.get(&word.to_lowercase()) {
                    Some(u) => out.push_str(&format!("[{word}]({u})")),
                    None => out.push_str(word),
                }
                rest = &after[1..];
                continue;
            }
            out.push_str(word);
            rest = after;
            continue;
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

fn split_target(inner: &str) -> (&str, Option<String>) {
    if let (Some(open), true) = (inner.rfind('<'), inner.ends_with('>')) {
        let label = inner[..open].trim();
        let target = inner[open + 1..inner.len() - 1].trim();
        if !label.is_empty() {
            return (label, Some(target.to_string()));
        }
        return (target, Some(target.to_string()));
    }
    (inner, None)
}

fn parse_role(s: &str) -> Option<(String, String, usize)> {
    let name_end = s[1..].find(':')? + 1;
    let role = &s[1..name_end];
    if role.is_empty()
        || !role
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == ':' || c == '-')
    {
        return None;
    }
    let after = &s[name_end + 1..];
    let body = after.strip_prefix('`')?;
    let end = body.find('`')?;
    Some((
        role.to_string(),
        body[..end].to_string(),
        name_end + 1 + 1 + end + 1,
    ))
}

fn render_role(role: &str, content: &str) -> String {
    let (label, target) = split_target(content);
    let has_label = target.is_some() && label != target.as_deref().unwrap_or("");
    let short = |t: &str| -> String {
        let t = t.trim_start_matches('~');
        if content.starts_with('~') {
            t.rsplit('.').next().unwrap_or(t).to_string()
        } else {
            t.to_string()
        }
    };
    match role.rsplit(':').next().unwrap_or(role) {
        "doc" | "ref" | "term" => {
            if has_label {
                label.to_string()
            } else {
                // no label: the target's last part, humanised
                let t = target.unwrap_or_else(|| label.to_string());
                let last = t
                    .trim_end_matches('/')
                    .rsplit(['/', ':'])
                    .next()
                    .unwrap_or(&t);
                last.replace(['-', '_'], " ")
            }
        }
        "pep" => format!("PEP {label}"),
        "rfc" => format!("RFC {label}"),
        "pypi" | "abbr" | "dfn" | "guilabel" | "menuselection" | "sup" | "sub" => label.to_string(),
        _ => {
            let shown = if has_label {
                label.to_string()
            } else {
                short(label)
            };
            format!("`{shown}`")
        }
    }
}

/// Parses a reStructuredText-like page into Markdown. Supports section titles (over- and
/// underlined), literal blocks (`::`), code and console directives, admonitions, Sphinx
/// object directives, simple and grid tables (kept as preformatted text), enumerated
/// lists, hyperlink targets and the common Sphinx roles. A page with no prose of its own
/// (only a table of contents) is skipped.
pub fn parse_rst(file_name: &str, text: &str) -> Result<ArticleDraft, Skip> {
    let joined = join_split_markup(text);
    let lines: Vec<&str> = joined.iter().map(String::as_str).collect();
    // Hyperlink targets first, so references anywhere resolve.
    let mut targets = HashMap::new();
    for l in &lines {
        if let Some(rest) = l.trim().strip_prefix(".. _")
            && let Some((name, url)) = rest.split_once(": ")
        {
            targets.insert(
                name.trim_matches('`').to_lowercase(),
                url.trim().to_string(),
            );
        }
    }

    let mut styles: Vec<(char, bool)> = Vec::new();
    let mut title: Option<String> = None;
    let mut out: Vec<String> = Vec::new();
    rst_to_md(&lines, &targets, &mut styles, &mut title, &mut out);
    let body = collapse_blank_lines(&out.join("\n"));
    let Some(title) = title else {
        return Err(skip(file_name, "no title (no section heading found)"));
    };
    if word_count(&body) < MIN_BODY_WORDS {
        return Err(skip(
            file_name,
            "no content of its own (only headings and a table of contents)",
        ));
    }
    Ok(ArticleDraft {
        source: file_name.to_string(),
        slug: slugify(&title),
        summary: first_paragraph(&body),
        title,
        body,
        tags: Vec::new(),
        category: String::new(),
        locale: "en".into(),
        visibility: Visibility::Public,
    })
}

/// Inline markup may wrap onto the next line (`` `Python\ndocumentation <url>`_ ``);
/// joins such lines so the markup can be converted as one piece.
fn join_split_markup(text: &str) -> Vec<String> {
    let odd = |l: &str| l.replace("``", "").matches('`').count() % 2 == 1;
    let mut out: Vec<String> = Vec::new();
    let mut open = false;
    for line in text.lines() {
        if open && !line.trim().is_empty() {
            let last = out.last_mut().expect("open implies a previous line");
            last.push(' ');
            last.push_str(line.trim());
            open = odd(last);
            continue;
        }
        out.push(line.to_string());
        open = odd(line) && !is_adornment(line);
    }
    out
}

/// Converts reStructuredText lines to Markdown lines. The first section title goes to
/// `title` when it is still `None`; directive content is converted recursively.
fn rst_to_md(
    lines: &[&str],
    targets: &HashMap<String, String>,
    styles: &mut Vec<(char, bool)>,
    title: &mut Option<String>,
    out: &mut Vec<String>,
) {
    let mut i = 0;
    let mut pending_literal = false;
    while i < lines.len() {
        let line = lines[i];
        let t = line.trim();

        // Section titles: [overline] text underline
        let over = is_adornment(line)
            && i + 2 < lines.len()
            && is_adornment(lines[i + 2])
            && !lines[i + 1].trim().is_empty();
        let under = !t.is_empty()
            && indent_of(line) == 0
            && i + 1 < lines.len()
            && is_adornment(lines[i + 1])
            && lines[i + 1].trim_end().len() >= t.chars().count().min(3)
            && !is_adornment(line);
        if over || under {
            let (heading, adorn, next) = if over {
                (lines[i + 1].trim(), lines[i + 2], i + 3)
            } else {
                (t, lines[i + 1], i + 2)
            };
            let style = (adorn.chars().next().unwrap_or('='), over);
            let level = match styles.iter().position(|s| *s == style) {
                Some(p) => p + 1,
                None => {
                    styles.push(style);
                    styles.len()
                }
            };
            let heading = rst_inline(heading, targets);
            if title.is_none() {
                *title = Some(markdown_to_plain(&heading));
            } else {
                out.push(format!("{} {heading}", "#".repeat(level.clamp(2, 6))));
                out.push(String::new());
            }
            i = next;
            continue;
        }

        // Simple tables and grid tables: keep as preformatted text.
        let simple_table =
            t.starts_with("==") && t.contains(' ') && t.chars().all(|c| c == '=' || c == ' ');
        let grid_table = t.starts_with("+-") && t.ends_with('+');
        if simple_table || grid_table {
            out.push("```text".into());
            while i < lines.len() && !lines[i].trim().is_empty() {
                out.push(lines[i].trim_end().to_string());
                i += 1;
            }
            out.push("```".into());
            out.push(String::new());
            continue;
        }

        if let Some(rest) = t.strip_prefix(".. ") {
            let base = indent_of(line);
            // collect the directive's indented content
            let mut j = i + 1;
            let mut content: Vec<&str> = Vec::new();
            while j < lines.len() && (lines[j].trim().is_empty() || indent_of(lines[j]) > base) {
                content.push(lines[j]);
                j += 1;
            }
            while content.last().is_some_and(|l| l.trim().is_empty()) {
                content.pop();
                j -= 1;
            }
            let (name, arg) = match rest.split_once("::") {
                Some((n, a)) => (n.trim().to_string(), a.trim().to_string()),
                None => (String::new(), String::new()),
            };
            // options (":maxdepth: 1") belong to the directive, not its content
            let body: Vec<&str> = content
                .iter()
                .skip_while(|l| l.trim().starts_with(':') && !l.trim().starts_with("::"))
                .skip_while(|l| l.trim().is_empty())
                .copied()
                .collect();
            let dedented = dedent(&body);
            match name.as_str() {
                "" => {} // comment or hyperlink target
                "code-block" | "code" | "sourcecode" | "console" | "highlight" => {
                    if name != "highlight" {
                        let lang = if name == "console" {
                            "console"
                        } else {
                            arg.as_str()
                        };
                        out.push(format!("```{lang}"));
                        out.extend(dedented.lines().map(str::to_string));
                        out.push("```".into());
                        out.push(String::new());
                    }
                }
                "toctree" | "currentmodule" | "module" | "index" | "contents" | "image"
                | "figure" | "include" | "raw" | "only" | "meta" | "highlightlang"
                | "default-role" | "tabularcolumns" | "rubric" => {}
                "note" | "warning" | "tip" | "important" | "caution" | "danger" | "hint"
                | "attention" | "seealso" | "admonition" | "versionadded" | "versionchanged"
                | "deprecated" => {
                    let head = match name.as_str() {
                        "admonition" => arg.clone(),
                        "seealso" => "See also".to_string(),
                        "versionadded" => format!("New in version {arg}"),
                        "versionchanged" => format!("Changed in version {arg}"),
                        "deprecated" => format!("Deprecated since version {arg}"),
                        other => {
                            let mut h = other.to_string();
                            if let Some(f) = h.get_mut(0..1) {
                                f.make_ascii_uppercase();
                            }
                            if !arg.is_empty() {
                                h.push_str(": ");
                                h.push_str(&arg);
                            }
                            h
                        }
                    };
                    out.push(format!("> **{}**", rst_inline(&head, targets)));
                    let inner = rst_fragment(&dedented, targets, styles);
                    if !inner.trim().is_empty() {
                        out.push(">".into());
                        out.extend(inner.lines().map(|l| {
                            if l.is_empty() {
                                ">".to_string()
                            } else {
                                format!("> {l}")
                            }
                        }));
                    }
                    out.push(String::new());
                }
                _ => {
                    // Sphinx object descriptions (method, class, setting…) and anything else:
                    // show the signature, keep the explanation.
                    if !arg.is_empty() {
                        out.push(format!("`{arg}`"));
                        out.push(String::new());
                    }
                    let inner = rst_fragment(&dedented, targets, styles);
                    if !inner.trim().is_empty() {
                        out.push(inner);
                        out.push(String::new());
                    }
                }
            }
            i = j;
            continue;
        }

        // An indented block after "::" is literal text.
        if pending_literal && !t.is_empty() && indent_of(line) > 0 {
            let mut block: Vec<&str> = Vec::new();
            while i < lines.len() && (lines[i].trim().is_empty() || indent_of(lines[i]) > 0) {
                block.push(lines[i]);
                i += 1;
            }
            while block.last().is_some_and(|l| l.trim().is_empty()) {
                block.pop();
            }
            out.push("```".into());
            out.extend(dedent(&block).lines().map(str::to_string));
            out.push("```".into());
            out.push(String::new());
            pending_literal = false;
            continue;
        }
        if !t.is_empty() {
            pending_literal = false;
        }

        let mut converted = convert_rst_line(line, targets);
        if t.ends_with("::") {
            pending_literal = true;
            converted = if t == "::" {
                String::new()
            } else {
                // "Example::" → "Example:" ; "text ::" → "text"
                let keep = converted.trim_end().trim_end_matches("::").trim_end();
                if converted.trim_end().ends_with(" ::") {
                    keep.to_string()
                } else {
                    format!("{keep}:")
                }
            };
        }
        out.push(converted);
        i += 1;
    }
}

fn rst_fragment(
    text: &str,
    targets: &HashMap<String, String>,
    styles: &mut Vec<(char, bool)>,
) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut inner = Vec::new();
    // a title is already known: headings inside directives stay in the body
    let mut title = Some(String::new());
    rst_to_md(&lines, targets, styles, &mut title, &mut inner);
    collapse_blank_lines(&inner.join("\n"))
        .trim_end()
        .to_string()
}

fn convert_rst_line(line: &str, targets: &HashMap<String, String>) -> String {
    let ind = indent_of(line);
    let t = line.trim();
    // "#." auto-numbered lists
    let t2 = if let Some(rest) = t.strip_prefix("#. ") {
        format!("1. {rest}")
    } else {
        t.to_string()
    };
    // Indentation in reST is a block quote or list continuation; Markdown would read 4
    // spaces as code, so keep at most 2.
    let pad = " ".repeat(ind.min(2));
    format!("{pad}{}", rst_inline(&t2, targets))
}

fn dedent(lines: &[&str]) -> String {
    let min = lines
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| indent_of(l))
        .min()
        .unwrap_or(0);
    lines
        .iter()
        .map(|l| {
            if l.len() >= min {
                &l[min..]
            } else {
                l.trim_start()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn collapse_blank_lines(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut blank = 0;
    for l in s.lines() {
        if l.trim().is_empty() {
            blank += 1;
            if blank > 1 {
                continue;
            }
            out.push('\n');
        } else {
            blank = 0;
            out.push_str(l.trim_end());
            out.push('\n');
        }
    }
    out.trim().to_string() + "\n"
}

// ---------------------------------------------------------------- GNOME JSON lines

#[derive(Deserialize)]
struct GnomeLine {
    id: String,
    #[serde(default)]
    r#type: String,
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    text: String,
}

/// Parses GNOME help exported as JSON lines (`id, type, title, description, text`; the
/// text has one paragraph per block, separated by blank lines). `file_name` names the
/// source in the report. Navigation pages without prose of their own are skipped.
pub fn parse_gnome_jsonl(file_name: &str, text: &str) -> (Vec<ArticleDraft>, Vec<Skip>) {
    let mut articles = Vec::new();
    let mut skipped = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let here = format!("{file_name}#line {}", n + 1);
        let page: GnomeLine = match serde_json::from_str(line) {
            Ok(p) => p,
            Err(e) => {
                skipped.push(skip(&here, format!("not a help page record: {e}")));
                continue;
            }
        };
        let source = format!("{file_name}#{}", page.id);
        if page.title.trim().is_empty() {
            skipped.push(skip(&source, "no title"));
            continue;
        }
        // The export writes paragraphs as plain text; escape what Markdown would misread.
        let body = page
            .text
            .split("\n\n")
            .map(|p| p.trim().replace('*', "\\*").replace('_', "\\_"))
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join("\n\n");
        if word_count(&body) < MIN_BODY_WORDS {
            let kind = if page.r#type == "guide" {
                "a navigation page (guide) with no text of its own"
            } else {
                "too little text"
            };
            skipped.push(skip(&source, kind));
            continue;
        }
        let category = page.id.split('-').next().unwrap_or("").to_string();
        articles.push(ArticleDraft {
            source,
            slug: slugify(&page.title),
            summary: if page.description.trim().is_empty() {
                first_paragraph(&body)
            } else {
                page.description.trim().to_string()
            },
            title: page.title.trim().to_string(),
            body: body + "\n",
            tags: Vec::new(),
            category,
            locale: "en".into(),
            visibility: Visibility::Public,
        });
    }
    (articles, skipped)
}

// ---------------------------------------------------------------- folders

const NOT_ARTICLES: &[&str] = &[
    "readme",
    "license",
    "licence",
    "copying",
    "changelog",
    "contributing",
    "authors",
    "notice",
    "copyright",
];

/// Imports every supported file under `dir` (recursively, in path order). Slugs are made
/// unique within the import by appending `-2`, `-3`…; a category defaults to the file's
/// folder. Unreadable and unsupported files are reported in `skipped`.
pub fn import_dir(dir: &Path) -> std::io::Result<ImportReport> {
    let mut files = Vec::new();
    collect_files(dir, dir, &mut files)?;
    files.sort();
    let mut report = ImportReport::default();
    for rel in files {
        let path = dir.join(&rel);
        let rel_str = rel.to_string_lossy().replace('\\', "/");
        let name = rel
            .file_name()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_default();
        let lower = name.to_ascii_lowercase();
        let stem = lower.split('.').next().unwrap_or("");
        let ext = lower.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
        // Only at the top of the folder: docs/faq/contributing.txt is a real article.
        let top_level = rel.parent().is_none_or(|p| p.as_os_str().is_empty());
        if top_level && NOT_ARTICLES.contains(&stem) && ext != "jsonl" {
            report.skipped.push(skip(
                &rel_str,
                "project metadata (readme, licence…), not an article",
            ));
            continue;
        }
        let supported = matches!(ext, "md" | "markdown" | "mdx" | "rst" | "txt" | "jsonl");
        if !supported {
            let why = if ext.is_empty() {
                "no file extension: cannot tell the format".to_string()
            } else {
                format!(
                    "unsupported file type .{ext} (Markdown, reStructuredText and JSON lines are)"
                )
            };
            report.skipped.push(skip(&rel_str, why));
            continue;
        }
        let text = match std::fs::read(&path) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(t) => t,
                Err(_) => {
                    report.skipped.push(skip(&rel_str, "not UTF-8 text"));
                    continue;
                }
            },
            Err(e) => {
                report
                    .skipped
                    .push(skip(&rel_str, format!("unreadable: {e}")));
                continue;
            }
        };
        let folder = rel
            .parent()
            .map(|p| p.to_string_lossy().replace('\\', "/"))
            .unwrap_or_default();
        let folder = folder
            .strip_prefix("docs")
            .unwrap_or(&folder)
            .trim_matches('/');
        let mut add = |mut a: ArticleDraft| {
            if a.category.is_empty() {
                a.category = folder.to_string();
            }
            report.articles.push(a);
        };
        match ext {
            "jsonl" => {
                let (arts, skips) = parse_gnome_jsonl(&rel_str, &text);
                arts.into_iter().for_each(&mut add);
                report.skipped.extend(skips);
            }
            "rst" | "txt" => match parse_rst(&rel_str, &text) {
                Ok(a) => add(a),
                Err(s) => report.skipped.push(s),
            },
            _ => match parse_markdown(&rel_str, &text) {
                Ok(a) => add(a),
                Err(s) => report.skipped.push(s),
            },
        }
    }
    dedupe_slugs(&mut report.articles);
    Ok(report)
}

fn collect_files(
    root: &Path,
    dir: &Path,
    out: &mut Vec<std::path::PathBuf>,
) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        if name.to_string_lossy().starts_with('.') {
            continue; // hidden files and folders (.git) are not content
        }
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            collect_files(root, &path, out)?;
        } else if let Ok(rel) = path.strip_prefix(root) {
            out.push(rel.to_path_buf());
        }
    }
    Ok(())
}

/// Makes slugs unique in order of appearance.
pub fn dedupe_slugs(articles: &mut [ArticleDraft]) {
    let mut seen = BTreeSet::new();
    for a in articles {
        if !seen.insert(a.slug.clone()) {
            let mut n = 2;
            while !seen.insert(format!("{}-{n}", a.slug)) {
                n += 1;
            }
            a.slug = format!("{}-{n}", a.slug);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_readable() {
        assert_eq!(
            slugify("Connect to a wireless network"),
            "connect-to-a-wireless-network"
        );
        assert_eq!(
            slugify("Why won't my Wi-Fi work?"),
            "why-wont-my-wi-fi-work"
        );
        assert_eq!(slugify("Café & C++"), "cafe-and-c-plus-plus");
        assert_eq!(slugify("!!!"), "article");
        assert!(slugify(&"long words ".repeat(20)).len() <= 80);
    }

    #[test]
    fn markdown_front_matter_and_defaults() {
        let md = "---\ntitle: \"Reset your password\"\ntags: [account, password]\nvisibility: internal\n---\n\nIf you forgot your password, open the sign-in page and choose the link that says you forgot it. We send a message to your address with a link that is valid for one hour.\n";
        let a = parse_markdown("reset.md", md).unwrap();
        assert_eq!(a.title, "Reset your password");
        assert_eq!(a.slug, "reset-your-password");
        assert_eq!(a.tags, ["account", "password"]);
        assert_eq!(a.visibility, Visibility::Internal);
        assert!(a.summary.starts_with("If you forgot your password"));

        let md = "# Printer offline\n\nWhen the printer shows as offline, check that it is switched on, that the cable is plugged in, and that it is on the same network as your computer. Then try again.\n\n## More\n\ntext\n";
        let a = parse_markdown("p.md", md).unwrap();
        assert_eq!(a.title, "Printer offline");
        assert!(!a.body.contains("# Printer offline"));
        assert_eq!(a.locale, "en");
        assert_eq!(a.visibility, Visibility::Public);
    }

    #[test]
    fn markdown_without_text_is_skipped_with_reason() {
        let s = parse_markdown("empty.md", "---\ntitle: x\n---\n\n# Only a heading\n").unwrap_err();
        assert_eq!(s.file, "empty.md");
        assert!(s.reason.contains("too little text"), "{}", s.reason);
        assert!(
            parse_markdown(
                "v.md",
                &format!("---\nvisibility: secret\n---\n{}", "word ".repeat(30))
            )
            .is_err()
        );
    }

    #[test]
    fn mdx_leftovers_are_cleaned() {
        let md = "import Tabs from '@theme/Tabs';\n\n<Tabs>\n<TabItem value=\"a\">\n\n:::note Careful\nThis matters a lot.\n:::\n\nBody text follows here with enough words to count as an article of its own for sure.\n</TabItem>\n</Tabs>\n";
        let a = parse_markdown("x.md", md).unwrap();
        assert!(!a.body.contains("import"));
        assert!(!a.body.contains("<Tabs>"));
        assert!(a.body.contains("> **Note: Careful**"));
        assert!(a.body.contains("> This matters a lot."));
    }

    #[test]
    fn rst_headings_literals_roles_links() {
        let rst = "=====\nTitle\n=====\n\nIntro with ``code``, a :doc:`guide </howto/x>`, a :setting:`DEBUG`,\na :class:`~django.db.Model` and `Django <https://djangoproject.com>`_ and Python_.\n\n.. _Python: https://python.org/\n\nSection\n=======\n\nRun this::\n\n    python -m pip install Django\n\n.. note::\n\n    Be careful with :djadmin:`migrate`.\n\n.. code-block:: python\n\n    x = 1\n";
        let a = parse_rst("t.txt", rst).unwrap();
        assert_eq!(a.title, "Title");
        let b = &a.body;
        assert!(b.contains("`code`"), "{b}");
        assert!(b.contains("a guide,"), "{b}");
        assert!(b.contains("`DEBUG`"), "{b}");
        assert!(b.contains("`Model`"), "{b}");
        assert!(b.contains("[Django](https://djangoproject.com)"), "{b}");
        assert!(b.contains("[Python](https://python.org/)"), "{b}");
        assert!(b.contains("## Section"), "{b}");
        assert!(
            b.contains("Run this:\n\n```\npython -m pip install Django\n```"),
            "{b}"
        );
        assert!(b.contains("> **Note**"), "{b}");
        assert!(b.contains("> Be careful with `migrate`."), "{b}");
        assert!(b.contains("```python\nx = 1\n```"), "{b}");
    }

    #[test]
    fn rst_table_of_contents_only_is_skipped() {
        let rst = "=====\nIndex\n=====\n\n.. toctree::\n   :maxdepth: 1\n\n   one\n   two\n";
        let s = parse_rst("index.txt", rst).unwrap_err();
        assert!(s.reason.contains("table of contents"), "{}", s.reason);
    }

    #[test]
    fn gnome_lines() {
        let jsonl = concat!(
            r#"{"id": "net-wireless-connect", "type": "topic", "title": "Connect to a wireless network", "description": "Get on the internet - wirelessly.", "text": "If you have a wireless-enabled computer, you can connect to a wireless network that is within range to get access to the internet, view shared files on the network, and so on.\n\nOpen the system menu."}"#,
            "\n",
            r#"{"id": "net", "type": "guide", "title": "Networking", "description": "Connect.", "text": ""}"#,
            "\nnot json\n"
        );
        let (arts, skips) = parse_gnome_jsonl("g.jsonl", jsonl);
        assert_eq!(arts.len(), 1);
        assert_eq!(arts[0].slug, "connect-to-a-wireless-network");
        assert_eq!(arts[0].summary, "Get on the internet - wirelessly.");
        assert_eq!(arts[0].category, "net");
        assert_eq!(arts[0].source, "g.jsonl#net-wireless-connect");
        assert_eq!(skips.len(), 2);
        assert!(skips[0].reason.contains("navigation"));
        assert_eq!(skips[1].file, "g.jsonl#line 3");
    }

    #[test]
    fn duplicate_slugs_get_numbers() {
        let mk = |s: &str| ArticleDraft {
            source: String::new(),
            slug: s.into(),
            title: String::new(),
            summary: String::new(),
            body: String::new(),
            tags: vec![],
            category: String::new(),
            locale: "en".into(),
            visibility: Visibility::Public,
        };
        let mut v = vec![mk("a"), mk("a"), mk("a-2"), mk("b")];
        dedupe_slugs(&mut v);
        let slugs: Vec<_> = v.iter().map(|a| a.slug.as_str()).collect();
        assert_eq!(slugs, ["a", "a-2", "a-2-2", "b"]);
    }
}
