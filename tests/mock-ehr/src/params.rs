//! Query and form parameters, read strictly: OAuth (RFC 6749 §3.1) forbids repeating a
//! parameter, and a server that silently took the first or last copy would hide a client bug.

use url::form_urlencoded;

/// The decoded name/value pairs of a query string or form body, in order.
pub(crate) struct Params(Vec<(String, String)>);

impl Params {
    /// Decodes `application/x-www-form-urlencoded` text (`+` is a space, as servers read it).
    pub fn parse(encoded: &[u8]) -> Params {
        Params(form_urlencoded::parse(encoded).into_owned().collect())
    }

    /// Decodes an optional query string.
    pub fn from_query(query: Option<&str>) -> Params {
        Params::parse(query.unwrap_or_default().as_bytes())
    }

    /// The one value of `name`; an error naming the parameter when it is repeated.
    pub fn single(&self, name: &str) -> Result<Option<&str>, String> {
        let mut values = self.all(name);
        let first = values.next();
        if values.next().is_some() {
            return Err(format!("the parameter {name} is given more than once"));
        }
        Ok(first)
    }

    /// The one, non-empty value of `name`; an error when it is missing, empty or repeated.
    pub fn required(&self, name: &str) -> Result<&str, String> {
        match self.single(name)? {
            Some(value) if !value.is_empty() => Ok(value),
            _ => Err(format!("the parameter {name} is required")),
        }
    }

    /// Every value of `name`, in order.
    pub fn all<'a, 'n>(&'a self, name: &'n str) -> impl Iterator<Item = &'a str> + use<'a, 'n> {
        self.0
            .iter()
            .filter(move |(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The parameter names, in order, repeats included.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(n, _)| n.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeats_are_errors_and_plus_is_a_space() {
        let params = Params::parse(b"a=1&b=x+y&a=2&c=");
        assert!(params.single("a").is_err());
        assert_eq!(params.single("b"), Ok(Some("x y")));
        assert!(params.required("c").is_err(), "empty counts as missing");
        assert!(params.required("d").is_err());
        assert_eq!(params.all("a").collect::<Vec<_>>(), ["1", "2"]);
    }
}
