//! A small XML tree built with quick-xml, hardened for untrusted input.
//!
//! Definitions reach the helper from any local user, so the reader refuses what XML
//! parsers are attacked with: DTDs (and with them entity expansion), documents over
//! 1 MiB, and absurd nesting. Namespaces are resolved so `<x:options>` is recognised
//! whatever prefix binds libvirt's dnsmasq namespace, and each element remembers where
//! its content starts and ends so `<metadata>` can be kept verbatim.

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use quick_xml::XmlVersion;
use quick_xml::events::{BytesStart, Event};
use quick_xml::reader::Reader;

use crate::model::problem::Problem;

/// Largest document accepted; real definitions are a few kilobytes.
pub const MAX_DOCUMENT_BYTES: usize = 1024 * 1024;
/// Deepest nesting accepted; libvirt's schema needs 5 levels, metadata gets the rest.
pub const MAX_DEPTH: usize = 64;
/// Most attributes (namespace declarations included) one element may carry; libvirt's
/// elements have at most a dozen, `<metadata>` content gets the rest.
pub const MAX_ATTRIBUTES: usize = 256;

const XMLNS_XML: &str = "http://www.w3.org/XML/1998/namespace";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attribute {
    /// Qualified name as written (`mode`, `xml:lang`).
    pub name: String,
    pub value: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Element {
    /// Local name, without prefix.
    pub name: String,
    /// Resolved namespace URI, if the element is in one.
    pub namespace: Option<String>,
    pub attributes: Vec<Attribute>,
    /// Namespace bindings declared on this element: (prefix, URI), "" for the default.
    pub namespaces: Vec<(String, String)>,
    pub children: Vec<Element>,
    /// Text directly inside the element (CDATA included), entities resolved.
    pub text: String,
    /// Byte offset of the start tag, for line numbers in messages.
    pub offset: usize,
    /// Source bytes between the start and end tag (empty for `<x/>`).
    pub inner: Range<usize>,
    /// Byte offset just after the element's end tag (after `/>` for `<x/>`).
    pub end: usize,
}

impl Element {
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attributes.iter().find(|a| a.name == name).map(|a| a.value.as_str())
    }

    pub fn children_named<'a, 'n>(&'a self, name: &'n str) -> impl Iterator<Item = &'a Element> + use<'a, 'n> {
        self.children.iter().filter(move |c| c.name == name && c.namespace.is_none())
    }
}

/// A parsed document: the root element and the source it came from.
#[derive(Debug)]
pub struct Document<'a> {
    pub source: &'a str,
    pub root: Element,
}

impl Document<'_> {
    /// The raw source between an element's tags.
    pub fn inner_source(&self, element: &Element) -> &str {
        self.source.get(element.inner.clone()).unwrap_or("")
    }
}

/// 1-based line of a byte offset.
pub fn line_of(source: &str, offset: usize) -> usize {
    let end = offset.min(source.len());
    source.as_bytes()[..end].iter().filter(|&&b| b == b'\n').count() + 1
}

struct Builder<'a> {
    source: &'a str,
    /// Open elements, innermost last.
    open: Vec<Element>,
    /// The prefixes each open element declared (innermost last), to undo them when it
    /// closes.
    scopes: Vec<Vec<String>>,
    /// Every prefix in scope with its bindings, innermost last ("" is the default
    /// namespace): one lookup per name, however many bindings are open.
    bindings: HashMap<String, Vec<String>>,
    root: Option<Element>,
}

/// Parses `source` into a tree, or says (with a line number) why it is not acceptable XML.
pub fn parse(source: &str) -> Result<Document<'_>, Problem> {
    if source.len() > MAX_DOCUMENT_BYTES {
        return Err(Problem::new(
            "",
            format!(
                "the document is {} bytes; definitions larger than {} bytes are refused",
                source.len(),
                MAX_DOCUMENT_BYTES
            ),
        ));
    }
    let mut reader = Reader::from_str(source);
    let config = reader.config_mut();
    config.check_end_names = true;
    config.check_comments = true;
    config.expand_empty_elements = false;
    config.trim_text(false);

    let mut b = Builder { source, open: Vec::new(), scopes: Vec::new(), bindings: HashMap::new(), root: None };
    loop {
        let before = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
        let event = reader.read_event().map_err(|e| {
            let at = usize::try_from(reader.error_position()).unwrap_or(0);
            b.syntax_error(at, &e.to_string())
        })?;
        let after = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
        match event {
            Event::Start(start) => {
                let element = b.open_element(&start, before, after)?;
                b.open.push(element);
            }
            Event::Empty(start) => {
                let element = b.open_element(&start, before, after)?;
                b.close_scope();
                b.attach(element, before)?;
            }
            Event::End(_) => {
                let Some(mut element) = b.open.pop() else {
                    return Err(b.syntax_error(before, "closing tag without an opening tag"));
                };
                b.close_scope();
                element.inner.end = before;
                element.end = after;
                b.attach(element, before)?;
            }
            Event::Text(text) => b.text(&text.xml10_content(), before)?,
            Event::CData(cdata) => b.text(&cdata.xml10_content(), before)?,
            Event::GeneralRef(reference) => {
                let resolved = if reference.is_char_ref() {
                    match reference.resolve_char_ref() {
                        Ok(Some(c)) => c.to_string(),
                        _ => {
                            return Err(b.syntax_error(
                                before,
                                &format!("'&{};' is not a valid character reference", &*reference),
                            ));
                        }
                    }
                } else {
                    match quick_xml::escape::resolve_predefined_entity(&reference) {
                        Some(s) => s.to_owned(),
                        None => {
                            return Err(b.syntax_error(
                                before,
                                &format!(
                                    "unknown entity '&{};' (only &amp; &lt; &gt; &apos; &quot; and character references are accepted)",
                                    &*reference
                                ),
                            ));
                        }
                    }
                };
                b.text(&resolved, before)?;
            }
            Event::DocType(_) => {
                return Err(b.syntax_error(
                    before,
                    "DOCTYPE declarations are not accepted (they can declare entities); remove the <!DOCTYPE ...> line",
                ));
            }
            Event::Decl(_) | Event::Comment(_) | Event::PI(_) => {}
            Event::Eof => break,
        }
    }
    if let Some(unclosed) = b.open.last() {
        return Err(b.syntax_error(source.len(), &format!("element <{}> is never closed", unclosed.name)));
    }
    match b.root {
        Some(root) => Ok(Document { source, root }),
        None => Err(Problem::new("", "the document is empty: expected a <network> element")),
    }
}

/// XML 1.0's `Name` production: what element and attribute names are made of (other
/// parsers refuse a document with any other name, so none may be read, and kept).
fn is_xml_name(name: &str) -> bool {
    let start = |c: char| {
        matches!(c, ':' | 'A'..='Z' | '_' | 'a'..='z' | '\u{C0}'..='\u{D6}' | '\u{D8}'..='\u{F6}'
            | '\u{F8}'..='\u{2FF}' | '\u{370}'..='\u{37D}' | '\u{37F}'..='\u{1FFF}' | '\u{200C}'..='\u{200D}'
            | '\u{2070}'..='\u{218F}' | '\u{2C00}'..='\u{2FEF}' | '\u{3001}'..='\u{D7FF}'
            | '\u{F900}'..='\u{FDCF}' | '\u{FDF0}'..='\u{FFFD}' | '\u{10000}'..='\u{EFFFF}')
    };
    let rest = |c: char| {
        start(c) || matches!(c, '-' | '.' | '0'..='9' | '\u{B7}' | '\u{300}'..='\u{36F}' | '\u{203F}'..='\u{2040}')
    };
    let mut chars = name.chars();
    chars.next().is_some_and(start) && chars.all(rest)
}

/// Characters XML 1.0 allows in a document (its `Char` production).
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

impl Builder<'_> {
    /// Refuses characters XML cannot carry, so nothing read here makes output that other
    /// XML tools (libvirt, xmllint) would reject.
    fn check_chars(&self, value: &str, offset: usize) -> Result<(), Problem> {
        match value.chars().find(|c| !is_xml_char(*c)) {
            Some(c) => {
                Err(self.syntax_error(offset, &format!("the character U+{:04X} is not allowed in XML", u32::from(c))))
            }
            None => Ok(()),
        }
    }

    fn syntax_error(&self, offset: usize, what: &str) -> Problem {
        Problem::new("", format!("not well-formed XML at line {}: {what}", line_of(self.source, offset)))
    }

    fn open_element(&mut self, start: &BytesStart<'_>, before: usize, after: usize) -> Result<Element, Problem> {
        if self.open.len() >= MAX_DEPTH {
            return Err(self.syntax_error(before, &format!("elements are nested more than {MAX_DEPTH} levels deep")));
        }
        let mut bindings = Vec::new();
        let mut attributes = Vec::new();
        // quick-xml's own duplicate check compares each attribute with every earlier
        // one; names are checked here in one pass instead.
        let mut written: HashSet<String> = HashSet::new();
        for attr in start.attributes().with_checks(false) {
            let attr = attr.map_err(|e| self.syntax_error(before, &e.to_string()))?;
            if written.len() >= MAX_ATTRIBUTES {
                return Err(self.syntax_error(
                    before,
                    &format!(
                        "an element has more than {MAX_ATTRIBUTES} attributes; at most {MAX_ATTRIBUTES} are accepted"
                    ),
                ));
            }
            let name = attr.key.as_ref().to_owned();
            if !is_xml_name(&name) {
                return Err(self.syntax_error(before, &format!("'{name}' is not a valid attribute name")));
            }
            if !written.insert(name.clone()) {
                return Err(self.syntax_error(before, &format!("attribute {name} is given twice")));
            }
            if attr.value.contains('<') {
                return Err(
                    self.syntax_error(before, &format!("attribute {name}: '<' is not allowed in an attribute value"))
                );
            }
            let value = attr
                .normalized_value(XmlVersion::Implicit1_0)
                .map_err(|e| self.syntax_error(before, &format!("attribute {name}: {e}")))?
                .into_owned();
            self.check_chars(&value, before)?;
            if name == "xmlns" {
                bindings.push((String::new(), value));
            } else if let Some(prefix) = name.strip_prefix("xmlns:") {
                bindings.push((prefix.to_owned(), value));
            } else {
                attributes.push(Attribute { name, value });
            }
        }
        self.open_scope(&bindings);

        // Prefixed attributes need their prefix bound, and may not collide once resolved.
        let mut resolved: HashSet<(Option<&str>, &str)> = HashSet::with_capacity(attributes.len());
        for attr in &attributes {
            let (uri, local) = match attr.name.split_once(':') {
                Some(("xml", local)) => (Some(XMLNS_XML), local),
                Some((prefix, local)) => match self.lookup(prefix) {
                    Some(uri) => (Some(uri), local),
                    None => {
                        return Err(self.syntax_error(
                            before,
                            &format!("namespace prefix '{prefix}' of attribute {} is not declared", attr.name),
                        ));
                    }
                },
                None => (None, attr.name.as_str()),
            };
            if !resolved.insert((uri, local)) {
                return Err(self.syntax_error(before, &format!("attribute {} is given twice", attr.name)));
            }
        }

        let qname = start.name().as_ref().to_owned();
        if !is_xml_name(&qname) {
            return Err(self.syntax_error(before, &format!("'{qname}' is not a valid element name")));
        }
        let (prefix, local) = match qname.split_once(':') {
            Some((p, l)) => (p, l),
            None => ("", qname.as_str()),
        };
        let namespace = if prefix == "xml" {
            Some(XMLNS_XML.to_owned())
        } else {
            match self.lookup(prefix) {
                Some("") => None,
                Some(uri) => Some(uri.to_owned()),
                None if prefix.is_empty() => None,
                None => {
                    return Err(
                        self.syntax_error(before, &format!("namespace prefix '{prefix}' of <{qname}> is not declared"))
                    );
                }
            }
        };
        Ok(Element {
            name: local.to_owned(),
            namespace,
            attributes,
            namespaces: bindings,
            children: Vec::new(),
            text: String::new(),
            offset: before,
            inner: after..after,
            end: after,
        })
    }

    /// The namespace URI bound to `prefix` in the open scopes ("" is the default).
    fn lookup(&self, prefix: &str) -> Option<&str> {
        self.bindings.get(prefix).and_then(|uris| uris.last()).map(String::as_str)
    }

    /// Brings an element's namespace declarations into scope.
    fn open_scope(&mut self, declared: &[(String, String)]) {
        for (prefix, uri) in declared {
            self.bindings.entry(prefix.clone()).or_default().push(uri.clone());
        }
        self.scopes.push(declared.iter().map(|(prefix, _)| prefix.clone()).collect());
    }

    /// Takes the innermost element's declarations out of scope as it closes.
    fn close_scope(&mut self) {
        for prefix in self.scopes.pop().unwrap_or_default() {
            if let Some(uris) = self.bindings.get_mut(&prefix) {
                uris.pop();
                if uris.is_empty() {
                    self.bindings.remove(&prefix);
                }
            }
        }
    }

    /// Is `<network><metadata>` open, with the element being attached inside it? Its
    /// content is kept as source text; the tree below it is checked but not kept, so a
    /// large `<metadata>` costs no memory beyond its text.
    fn inside_metadata(&self) -> bool {
        self.open.len() >= 2 && self.open[1].name == "metadata" && self.open[1].namespace.is_none()
    }

    fn attach(&mut self, element: Element, offset: usize) -> Result<(), Problem> {
        if self.inside_metadata() {
            return Ok(());
        }
        if let Some(parent) = self.open.last_mut() {
            parent.children.push(element);
            Ok(())
        } else if self.root.is_none() {
            self.root = Some(element);
            Ok(())
        } else {
            Err(self.syntax_error(offset, "more than one root element"))
        }
    }

    fn text(&mut self, text: &str, offset: usize) -> Result<(), Problem> {
        self.check_chars(text, offset)?;
        if self.inside_metadata() && self.open.len() > 2 {
            return Ok(());
        }
        match self.open.last_mut() {
            Some(element) => {
                element.text.push_str(text);
                Ok(())
            }
            None if text.trim().is_empty() => Ok(()),
            None => Err(self.syntax_error(offset, "text outside the root element")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_a_tree_with_namespaces_and_text() {
        let doc = parse(
            "<?xml version='1.0'?>\n<network xmlns:d='http://example.org/d'>\n <name>a&amp;b&#33;</name>\n <d:options><d:option value='x &lt; y'/></d:options>\n</network>",
        )
        .unwrap();
        let root = &doc.root;
        assert_eq!(root.name, "network");
        assert_eq!(root.children[0].text, "a&b!");
        let options = &root.children[1];
        assert_eq!(options.name, "options");
        assert_eq!(options.namespace.as_deref(), Some("http://example.org/d"));
        assert_eq!(options.children[0].attr("value"), Some("x < y"));
        assert_eq!(doc.inner_source(options), "<d:option value='x &lt; y'/>");
    }

    #[test]
    fn refuses_names_other_parsers_refuse() {
        for bad in ["<network ¡a='1'/>", "<network><¡x/></network>", "<network 1a='x'/>"] {
            let problem = parse(bad).unwrap_err();
            assert!(problem.message.contains("is not a valid"), "{bad}: {}", problem.message);
        }
        assert!(parse("<network><app:x xmlns:app='urn:a' app:é.b-1='x'/></network>").is_ok());
    }

    #[test]
    fn refuses_doctype_and_entities() {
        let err = parse("<!DOCTYPE network [<!ENTITY x 'boom'>]>\n<network/>").unwrap_err();
        assert!(err.message.contains("DOCTYPE"), "{err}");
        let err = parse("<network><name>&x;</name></network>").unwrap_err();
        assert!(err.message.contains("unknown entity '&x;'"), "{err}");
    }

    #[test]
    fn refuses_deep_nesting_and_huge_documents() {
        let deep = "<a>".repeat(MAX_DEPTH + 1) + &"</a>".repeat(MAX_DEPTH + 1);
        assert!(parse(&deep).unwrap_err().message.contains("nested"));
        let huge = format!("<network>{}</network>", " ".repeat(MAX_DOCUMENT_BYTES));
        assert!(parse(&huge).unwrap_err().message.contains("larger than"));
    }

    #[test]
    fn reports_line_of_syntax_errors() {
        let err = parse("<network>\n<name>x</nam>\n</network>").unwrap_err();
        assert!(err.message.starts_with("not well-formed XML at line 2"), "{err}");
        let err = parse("<network>\n<name>x</name>\n").unwrap_err();
        assert!(err.message.contains("never closed") || err.message.contains("not well-formed"), "{err}");
        assert!(parse("").is_err());
        assert!(parse("<a/><b/>").is_err());
        assert!(parse("<x:a/>").unwrap_err().message.contains("prefix 'x'"));
        assert!(parse("<a b='x<y'/>").unwrap_err().message.contains("'<' is not allowed"));
        assert!(parse("<a m:b='1'/>").unwrap_err().message.contains("prefix 'm' of attribute m:b"));
        assert!(parse("<a xmlns:x='u' xmlns:y='u' x:b='1' y:b='2'/>").unwrap_err().message.contains("given twice"));
    }
}
