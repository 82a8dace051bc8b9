//! Rendering [`Template`]s from bind variables, inputs and parameter values.

use std::borrow::Cow;

use serde_json::Value;

use crate::descriptor::{Template, TemplatePart};
use crate::secret::BindValues;
use crate::upstream::value_text;

/// The values that the references of a template resolve against.
///
/// Exposed-side templates (`with` arguments, outputs) see the exposed operation's inputs;
/// consumed-side templates (parameter `value`s, request bodies) see the consumed
/// operation's parameter values. A reference to the side that is absent is an error.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TemplateScope<'a> {
    /// The resolved bind variables.
    pub binds: &'a BindValues,
    /// One value per input of the exposed operation, for [`TemplatePart::Input`].
    pub inputs: Option<&'a [Option<Value>]>,
    /// One value per parameter of the consumed operation, for [`TemplatePart::Param`].
    pub params: Option<&'a [Option<Value>]>,
}

/// The value of one template part.
#[derive(Debug, Clone, Copy)]
pub(crate) enum PartValue<'a> {
    /// Text: a literal or a bind variable.
    Text(&'a str),
    /// A JSON value: an input or a parameter.
    Json(&'a Value),
    /// An input or parameter without a value (absent or `null`).
    Absent,
}

impl PartValue<'_> {
    /// Returns the value as text: JSON values as [`value_text`], absent as empty.
    pub(crate) fn text(&self) -> Cow<'_, str> {
        match self {
            Self::Text(text) => Cow::Borrowed(text),
            Self::Json(value) => value_text(value),
            Self::Absent => Cow::Borrowed(""),
        }
    }
}

impl<'a> TemplateScope<'a> {
    /// Returns a scope for exposed-side templates.
    pub(crate) fn exposed(binds: &'a BindValues, inputs: &'a [Option<Value>]) -> Self {
        Self {
            binds,
            inputs: Some(inputs),
            params: None,
        }
    }

    /// Returns a scope for consumed-side templates.
    pub(crate) fn consumed(binds: &'a BindValues, params: &'a [Option<Value>]) -> Self {
        Self {
            binds,
            inputs: None,
            params: Some(params),
        }
    }

    /// Returns the value of one part. An error names the part's index, never a value.
    pub(crate) fn resolve(&self, part: &'a TemplatePart) -> Result<PartValue<'a>, String> {
        let present = |values: &'a [Option<Value>], index: usize| match values
            .get(index)
            .and_then(Option::as_ref)
        {
            Some(value) if !value.is_null() => PartValue::Json(value),
            _ => PartValue::Absent,
        };
        match part {
            TemplatePart::Literal(literal) => Ok(PartValue::Text(literal)),
            TemplatePart::Bind(index) => match self.binds.get(*index) {
                Some(secret) => Ok(PartValue::Text(secret.expose())),
                None => Err(format!("bind variable {index} is not resolved")),
            },
            TemplatePart::Input(index) => match self.inputs {
                Some(inputs) => Ok(present(inputs, *index)),
                None => Err(format!(
                    "input {index} is referenced by a template of a consumed operation, \
                     which only sees its parameters"
                )),
            },
            TemplatePart::Param(index) => match self.params {
                Some(params) => Ok(present(params, *index)),
                None => Err(format!(
                    "parameter {index} is referenced by a template of an exposed operation, \
                     which only sees its inputs"
                )),
            },
        }
    }

    /// Renders a template as text. Absent inputs and parameters render as nothing.
    pub(crate) fn render(&self, template: Template) -> Result<String, String> {
        let mut text = String::new();
        for part in template {
            text.push_str(&self.resolve(part)?.text());
        }
        Ok(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;
    use serde_json::json;

    #[test]
    fn consumed_scope_renders_params() {
        let binds = BindValues::from_values(vec![Secret::new("key")]);
        let params = [Some(json!("acme")), None, Some(json!(2.0))];
        let template: Template = &[
            TemplatePart::Literal("org="),
            TemplatePart::Param(0),
            TemplatePart::Literal(";missing="),
            TemplatePart::Param(1),
            TemplatePart::Literal(";page="),
            TemplatePart::Param(2),
            TemplatePart::Literal(";out-of-range="),
            TemplatePart::Param(9),
            TemplatePart::Literal(";bind="),
            TemplatePart::Bind(0),
        ];
        let text = TemplateScope::consumed(&binds, &params)
            .render(template)
            .expect("renders");
        assert_eq!(text, "org=acme;missing=;page=2;out-of-range=;bind=key");
    }

    #[test]
    fn consumed_scope_rejects_inputs() {
        let binds = BindValues::from_values(Vec::new());
        let error = TemplateScope::consumed(&binds, &[])
            .render(&[TemplatePart::Input(0)])
            .expect_err("inputs are not visible");
        assert!(error.contains("input 0"), "{error}");
    }

    #[test]
    fn exposed_scope_rejects_params() {
        let binds = BindValues::from_values(Vec::new());
        let error = TemplateScope::exposed(&binds, &[])
            .render(&[TemplatePart::Param(1)])
            .expect_err("parameters are not visible");
        assert!(error.contains("parameter 1"), "{error}");
    }

    #[test]
    fn missing_bind_names_index_only() {
        let binds = BindValues::from_values(Vec::new());
        let error = TemplateScope::exposed(&binds, &[])
            .render(&[TemplatePart::Bind(3)])
            .expect_err("bind 3 is not resolved");
        assert_eq!(error, "bind variable 3 is not resolved");
    }
}
