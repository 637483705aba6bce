//! Classic Swarm filter expressions: `key==value`, `key!=value`, soft `key==~value`;
//! a value is a glob (`*`) or, between slashes, a regular expression.

use regex::Regex;

/// `==` or `!=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Eq,
    Ne,
}

/// One parsed expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Expr {
    pub key: String,
    pub op: Op,
    /// Without the soft marker.
    pub value: String,
    /// Soft expressions are dropped when nothing satisfies them.
    pub soft: bool,
}

impl std::fmt::Display for Expr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let op = match self.op {
            Op::Eq => "==",
            Op::Ne => "!=",
        };
        write!(f, "{}{}{}", self.key, op, self.value)
    }
}

impl Expr {
    /// Parses `node==*-n2` (the part after `constraint:` or `affinity:`).
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let (key, op, value) = if let Some((k, v)) = text.split_once("==") {
            (k, Op::Eq, v)
        } else if let Some((k, v)) = text.split_once("!=") {
            (k, Op::Ne, v)
        } else {
            return Err(format!("invalid expression: {text} (expected key==value or key!=value)"));
        };
        let key = key.trim();
        let valid_key = key.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && key.len() > 1
            && key.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if !valid_key {
            return Err(format!("invalid key in expression: {text}"));
        }
        let (soft, value) = match value.strip_prefix('~') {
            Some(v) => (true, v),
            None => (false, value),
        };
        if value.is_empty() {
            return Err(format!("invalid value in expression: {text}"));
        }
        Ok(Self { key: key.to_owned(), op, value: value.to_owned(), soft })
    }

    fn pattern(&self) -> String {
        let v = &self.value;
        if v.len() >= 2 && v.starts_with('/') && v.ends_with('/') {
            v[1..v.len() - 1].to_owned()
        } else {
            // Like classic Swarm: only `*` is special on purpose; the rest is taken as a
            // regular expression anchored at both ends.
            format!("^{}$", v.replace('*', ".*"))
        }
    }

    /// True when any of `candidates` matches (`==`), or none does (`!=`).
    pub(crate) fn matches<'a>(&self, candidates: impl IntoIterator<Item = &'a str>) -> bool {
        let matched = match Regex::new(&self.pattern()) {
            Ok(re) => candidates.into_iter().any(|c| re.is_match(c)),
            Err(_) => {
                let v = self.value.as_str();
                candidates.into_iter().any(|c| c == v)
            }
        };
        match self.op {
            Op::Eq => matched,
            Op::Ne => !matched,
        }
    }
}

/// Swarm filters given as `-e constraint:...` / `-e affinity:...`, removed from the env
/// (the container must not see them), plus the label forms Compose v1 used.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct SwarmFilters {
    pub constraints: Vec<Expr>,
    pub affinities: Vec<Expr>,
}

impl SwarmFilters {
    /// Extracts and strips filter entries from a create body's `Env`.
    pub(crate) fn extract(body: &mut serde_json::Value) -> Result<Self, String> {
        let mut filters = Self::default();
        if let Some(env) = body.get_mut("Env").and_then(|e| e.as_array_mut()) {
            let mut kept = Vec::with_capacity(env.len());
            for entry in env.drain(..) {
                let text = entry.as_str().unwrap_or_default();
                if let Some(e) = text.strip_prefix("constraint:") {
                    filters.constraints.push(Expr::parse(e)?);
                } else if let Some(e) = text.strip_prefix("affinity:") {
                    filters.affinities.push(Expr::parse(e)?);
                } else {
                    kept.push(entry);
                }
            }
            *env = kept;
        }
        let labels = body.get("Labels");
        for (label, target) in [
            ("com.docker.swarm.constraints", &mut filters.constraints),
            ("com.docker.swarm.affinities", &mut filters.affinities),
        ] {
            if let Some(text) = labels.and_then(|l| l.get(label)).and_then(|v| v.as_str()) {
                let list: Vec<String> =
                    serde_json::from_str(text).map_err(|_| format!("invalid {label} label: expected a JSON list"))?;
                for e in list {
                    target.push(Expr::parse(&e)?);
                }
            }
        }
        Ok(filters)
    }

    pub(crate) fn has_soft(&self) -> bool {
        self.constraints.iter().chain(&self.affinities).any(|e| e.soft)
    }

    pub(crate) fn without_soft(&self) -> Self {
        Self {
            constraints: self.constraints.iter().filter(|e| !e.soft).cloned().collect(),
            affinities: self.affinities.iter().filter(|e| !e.soft).cloned().collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parse_and_match() {
        let e = Expr::parse("node==*-n2").unwrap();
        assert!(e.matches(["abc-n2"]));
        assert!(!e.matches(["abc-n1"]));
        let e = Expr::parse("node!=abc-n1").unwrap();
        assert!(e.matches(["abc-n2"]));
        assert!(!e.matches(["x", "abc-n1"]));
        let e = Expr::parse("zone==~/^eu-[0-9]$/").unwrap();
        assert!(e.soft);
        assert!(e.matches(["eu-1"]));
        assert_eq!(Expr::parse("node==~foo").unwrap().to_string(), "node==foo");
        assert!(Expr::parse("nodefoo").is_err());
        assert!(Expr::parse("==x").is_err());
    }

    #[test]
    fn extract_strips_env() {
        let mut body = json!({"Env": ["A=1", "constraint:node==n1", "affinity:container==web"]});
        let f = SwarmFilters::extract(&mut body).unwrap();
        assert_eq!(body["Env"], json!(["A=1"]));
        assert_eq!(f.constraints[0].key, "node");
        assert_eq!(f.affinities[0].value, "web");
    }
}
