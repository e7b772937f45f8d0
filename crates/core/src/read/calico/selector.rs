//! The parser of Calico's selector expressions (reference/resources/networkpolicy,
//! "Selectors"): match operators (`all()`, `global()`, `has(k)`, `k == 'v'`, `k != 'v'`,
//! `k in {...}`, `k not in {...}`, `k contains 's'`, `k starts with 's'`,
//! `k ends with 's'`), `!`, `&&`, `||` and parentheses, with the documented precedence
//! (match operators, parentheses, `!`, `&&`, `||` lowest). An error names the character
//! where the parser stopped and what it expected there.

use crate::policy::calico::Expr;

/// A syntax error: the 0-based character offset where it was found, and what was
/// expected there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    pub offset: usize,
    pub message: String,
}

/// Parses a selector. An empty (or blank) selector is `all()`, as Calico reads it.
pub fn parse(text: &str) -> Result<Expr, SyntaxError> {
    let mut p = Parser {
        chars: text.chars().collect(),
        pos: 0,
        depth: 0,
    };
    p.skip_space();
    if p.at_end() {
        return Ok(Expr::All);
    }
    let e = p.or()?;
    p.skip_space();
    if !p.at_end() {
        return Err(p.error("expected `&&`, `||` or the end of the selector"));
    }
    Ok(e)
}

/// Nesting deeper than this is refused (a selector is a line of text, not a program).
const MAX_DEPTH: usize = 100;

struct Parser {
    chars: Vec<char>,
    pos: usize,
    depth: usize,
}

/// Characters of a label key: Kubernetes label keys (`prefix/name`) and Calico's own.
fn is_label_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '/' | '-')
}

impl Parser {
    fn at_end(&self) -> bool {
        self.pos >= self.chars.len()
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn skip_space(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.pos += 1;
        }
    }

    fn error(&self, expected: &str) -> SyntaxError {
        let found = match self.peek() {
            None => "the end of the selector".to_string(),
            Some(c) => format!("{c:?}"),
        };
        SyntaxError {
            offset: self.pos,
            message: format!("{expected}, found {found}"),
        }
    }

    /// Consumes `s` (after spaces) if it comes next.
    fn eat(&mut self, s: &str) -> bool {
        self.skip_space();
        let n = s.chars().count();
        if self.chars.len() >= self.pos + n && self.chars[self.pos..self.pos + n].iter().copied().eq(s.chars()) {
            self.pos += n;
            true
        } else {
            false
        }
    }

    /// Consumes the word `w` if it comes next as a whole word.
    fn eat_word(&mut self, w: &str) -> bool {
        self.skip_space();
        let start = self.pos;
        if self.eat(w) && !self.peek().is_some_and(is_label_char) {
            return true;
        }
        self.pos = start;
        false
    }

    fn or(&mut self) -> Result<Expr, SyntaxError> {
        let mut e = self.and()?;
        while self.eat("||") {
            let rhs = self.and()?;
            e = Expr::Or(Box::new(e), Box::new(rhs));
        }
        Ok(e)
    }

    fn and(&mut self) -> Result<Expr, SyntaxError> {
        let mut e = self.not()?;
        while self.eat("&&") {
            let rhs = self.not()?;
            e = Expr::And(Box::new(e), Box::new(rhs));
        }
        Ok(e)
    }

    fn not(&mut self) -> Result<Expr, SyntaxError> {
        self.skip_space();
        // `!=` never starts an expression, so a `!` here is negation.
        if self.eat("!") {
            self.nest()?;
            let e = self.not();
            self.depth -= 1;
            return Ok(Expr::Not(Box::new(e?)));
        }
        self.atom()
    }

    fn nest(&mut self) -> Result<(), SyntaxError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error(&format!("at most {MAX_DEPTH} nested `(` or `!`")));
        }
        Ok(())
    }

    fn atom(&mut self) -> Result<Expr, SyntaxError> {
        self.skip_space();
        if self.eat("(") {
            self.nest()?;
            let e = self.or();
            self.depth -= 1;
            let e = e?;
            if !self.eat(")") {
                return Err(self.error("expected `)`, `&&` or `||`"));
            }
            return Ok(e);
        }
        if self.eat_word("all") {
            return self.empty_call().map(|_| Expr::All);
        }
        if self.eat_word("global") {
            return self.empty_call().map(|_| Expr::Global);
        }
        let save = self.pos;
        if self.eat_word("has") {
            if self.eat("(") {
                let key = self.label()?;
                if !self.eat(")") {
                    return Err(self.error("expected `)` after the label in has(...)"));
                }
                return Ok(Expr::Has(key));
            }
            // A label named `has`.
            self.pos = save;
        }
        let key = self.label()?;
        if self.eat("==") {
            return Ok(Expr::Eq(key, self.value()?));
        }
        if self.eat("!=") {
            return Ok(Expr::Ne(key, self.value()?));
        }
        if self.eat_word("in") {
            return Ok(Expr::In(key, self.set()?));
        }
        if self.eat_word("not") {
            if !self.eat_word("in") {
                return Err(self.error("expected `in` after `not`"));
            }
            return Ok(Expr::NotIn(key, self.set()?));
        }
        if self.eat_word("contains") {
            return Ok(Expr::Contains(key, self.value()?));
        }
        if self.eat_word("starts") {
            if !self.eat_word("with") {
                return Err(self.error("expected `with` after `starts`"));
            }
            return Ok(Expr::StartsWith(key, self.value()?));
        }
        if self.eat_word("ends") {
            if !self.eat_word("with") {
                return Err(self.error("expected `with` after `ends`"));
            }
            return Ok(Expr::EndsWith(key, self.value()?));
        }
        self.skip_space();
        Err(self.error(&format!(
            "expected an operator after the label {key:?} (`==`, `!=`, `in`, `not in`, `contains`, `starts with`, `ends with`)"
        )))
    }

    fn empty_call(&mut self) -> Result<(), SyntaxError> {
        if !self.eat("(") {
            return Err(self.error("expected `()`"));
        }
        if !self.eat(")") {
            return Err(self.error("expected `)`: this function takes no argument"));
        }
        Ok(())
    }

    fn label(&mut self) -> Result<String, SyntaxError> {
        self.skip_space();
        let start = self.pos;
        while self.peek().is_some_and(is_label_char) {
            self.pos += 1;
        }
        if self.pos == start {
            return Err(self.error("expected a label, `has(...)`, `all()`, `global()`, `!` or `(`"));
        }
        Ok(self.chars[start..self.pos].iter().collect())
    }

    fn value(&mut self) -> Result<String, SyntaxError> {
        self.skip_space();
        let quote = match self.peek() {
            Some(q @ ('\'' | '"')) => q,
            _ => return Err(self.error("expected a value in quotes ('value' or \"value\")")),
        };
        let start = self.pos;
        self.pos += 1;
        let from = self.pos;
        while self.peek().is_some_and(|c| c != quote) {
            self.pos += 1;
        }
        if self.at_end() {
            self.pos = start;
            return Err(self.error(&format!("expected the closing {quote} of this value")));
        }
        let v: String = self.chars[from..self.pos].iter().collect();
        self.pos += 1;
        Ok(v)
    }

    fn set(&mut self) -> Result<Vec<String>, SyntaxError> {
        if !self.eat("{") {
            return Err(self.error("expected `{` to open the set of values"));
        }
        let mut values = Vec::new();
        if self.eat("}") {
            return Ok(values);
        }
        loop {
            values.push(self.value()?);
            if self.eat("}") {
                return Ok(values);
            }
            if !self.eat(",") {
                return Err(self.error("expected `,` or `}` in the set of values"));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Labels;
    use crate::policy::calico::PlainLabels;

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn matches(sel: &str, pairs: &[(&str, &str)]) -> bool {
        parse(sel).unwrap().matches(&PlainLabels(&labels(pairs)))
    }

    #[test]
    fn the_documented_example_brackets_as_the_docs_say() {
        let sel = "! has(my-label) || my-label starts with 'prod' && role in {'frontend','business'}";
        let e = parse(sel).unwrap();
        assert_eq!(
            e.to_string(),
            "!has(my-label) || my-label starts with 'prod' && role in {'frontend', 'business'}"
        );
        assert!(matches(sel, &[]), "no my-label");
        assert!(matches(sel, &[("my-label", "prod-1"), ("role", "business")]));
        assert!(!matches(sel, &[("my-label", "prod-1"), ("role", "db")]));
        assert!(!matches(sel, &[("my-label", "dev"), ("role", "frontend")]));
    }

    #[test]
    fn every_operator_means_what_the_table_says() {
        assert!(matches("all()", &[]));
        assert!(!matches("!all()", &[]));
        assert!(!matches("global()", &[]));
        assert!(matches("app == 'web'", &[("app", "web")]));
        assert!(matches("app != 'web'", &[]), "!= matches without the label");
        assert!(!matches("app != 'web'", &[("app", "web")]));
        assert!(matches("has(app)", &[("app", "")]));
        assert!(matches("app in {\"a\", 'b'}", &[("app", "b")]));
        assert!(!matches("app in {}", &[("app", "b")]));
        assert!(matches("app not in {'a'}", &[]));
        assert!(matches("tier contains 'ack'", &[("tier", "backend")]));
        assert!(matches("tier starts with 'back'", &[("tier", "backend")]));
        assert!(matches("tier ends with 'end'", &[("tier", "backend")]));
        assert!(matches("(a == 'x' || b == 'y') && !has(c)", &[("b", "y")]));
        assert!(matches(
            "projectcalico.org/namespace == 'x'",
            &[("projectcalico.org/namespace", "x")]
        ));
        assert!(matches("   ", &[]), "blank is all()");
        assert!(matches("has == 'x'", &[("has", "x")]), "a label named has");
    }

    #[test]
    fn errors_name_the_column_and_what_was_expected() {
        let e = parse("app == web").unwrap_err();
        assert_eq!(e.offset, 7);
        assert!(e.message.starts_with("expected a value in quotes"), "{}", e.message);
        let e = parse("app == 'web' &&").unwrap_err();
        assert_eq!(e.offset, 15);
        assert!(e.message.contains("found the end of the selector"), "{}", e.message);
        let e = parse("(app == 'web'").unwrap_err();
        assert_eq!(e.offset, 13);
        assert!(e.message.starts_with("expected `)`"), "{}", e.message);
        let e = parse("app = 'web'").unwrap_err();
        assert_eq!(e.offset, 4);
        assert!(e.message.starts_with("expected an operator"), "{}", e.message);
        let e = parse("app in {'a' 'b'}").unwrap_err();
        assert_eq!(e.offset, 12);
        let e = parse("app == 'web").unwrap_err();
        assert_eq!(e.offset, 7);
        assert!(parse(&"!".repeat(500)).is_err());
        assert!(parse(&format!("{}a == 'b'{}", "(".repeat(500), ")".repeat(500))).is_err());
    }
}
