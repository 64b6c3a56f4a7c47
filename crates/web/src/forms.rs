//! A refused form comes back on its own page with each message next to the field it is
//! about and what was typed still in place. Pages with several forms name each one, so
//! only the form that was sent shows its errors.

use heard_domain::Invalid;
use heard_services::ServiceError;

/// The form that was refused: which one, what was sent, and what was wrong.
#[derive(Debug, Clone, Default)]
pub struct FormState {
    pub form: String,
    /// (field, message); the field `""` is about the form as a whole.
    pub errors: Vec<(String, String)>,
    pub values: Vec<(String, String)>,
}

impl FormState {
    pub fn new(form: impl Into<String>, values: &[(String, String)]) -> FormState {
        FormState {
            form: form.into(),
            errors: Vec::new(),
            values: values.to_vec(),
        }
    }

    pub fn refuse(&mut self, field: &str, message: impl Into<String>) {
        self.errors.push((field.to_string(), message.into()));
    }

    pub fn is_refused(&self) -> bool {
        !self.errors.is_empty()
    }

    /// The message for `field` of `form`, if that form was refused for it.
    pub fn error(&self, form: &str, field: &str) -> Option<&str> {
        if self.form != form {
            return None;
        }
        self.errors
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }

    /// What was sent for `field` when `form` was refused, otherwise `stored`.
    pub fn value(&self, form: &str, field: &str, stored: &str) -> String {
        if self.form == form && self.is_refused() {
            self.values
                .iter()
                .find(|(f, _)| f == field)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        } else {
            stored.to_string()
        }
    }

    /// Whether a checkbox or option `field = value` is on: as sent when `form` was
    /// refused, otherwise as stored.
    pub fn checked(
        &self,
        form: &str,
        field: &str,
        value: &str,
        stored: impl std::borrow::Borrow<bool>,
    ) -> bool {
        if self.form == form && self.is_refused() {
            self.values.iter().any(|(f, v)| f == field && v == value)
        } else {
            *stored.borrow()
        }
    }

    /// A service's refusal, placed on the field it names when the form has one by that
    /// name (`fields` maps the service's names to the form's).
    pub fn refuse_service(&mut self, e: &ServiceError, fields: &[(&str, &str)]) -> bool {
        match e {
            ServiceError::Invalid(Invalid { field, message, .. }) => {
                let at = field
                    .and_then(|f| fields.iter().find(|(from, _)| *from == f))
                    .map(|(_, to)| *to)
                    .unwrap_or("");
                self.refuse(at, message.clone());
                true
            }
            ServiceError::Conflict { message, .. } => {
                self.refuse("", message.clone());
                true
            }
            ServiceError::Throttled { retry_after_secs } => {
                let minutes = retry_after_secs.div_ceil(60);
                self.refuse(
                    "",
                    format!(
                        "That was asked for several times lately; try again in {minutes} minutes."
                    ),
                );
                true
            }
            _ => false,
        }
    }
}

/// A service's refusal of `form` as the state to show it with; anything that is not
/// about the input (a missing record, a failure) passes through as a page error.
pub fn refusal(
    form: impl Into<String>,
    values: &[(String, String)],
    e: ServiceError,
    fields: &[(&str, &str)],
) -> crate::page::PageResult<FormState> {
    let mut f = FormState::new(form, values);
    if f.refuse_service(&e, fields) {
        Ok(f)
    } else {
        Err(e.into())
    }
}

/// The submitted value of `field` (the first, for a repeated one), trimmed.
pub fn field<'a>(values: &'a [(String, String)], name: &str) -> &'a str {
    values
        .iter()
        .find(|(f, _)| f == name)
        .map(|(_, v)| v.trim())
        .unwrap_or("")
}

/// Every submitted value of a repeated `field` (checkboxes).
pub fn all<'a>(values: &'a [(String, String)], name: &str) -> Vec<&'a str> {
    values
        .iter()
        .filter(|(f, _)| f == name)
        .map(|(_, v)| v.as_str())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_refused_form_shows_its_errors_and_values() {
        let sent = vec![("name".to_string(), "  ".to_string())];
        let mut f = FormState::new("team-1", &sent);
        f.refuse("name", "a name is needed");
        assert_eq!(f.error("team-1", "name"), Some("a name is needed"));
        assert_eq!(f.error("team-2", "name"), None);
        assert_eq!(f.value("team-1", "name", "Desk"), "  ");
        assert_eq!(f.value("team-2", "name", "Platform"), "Platform");
        assert!(!f.checked("team-1", "x", "1", true));
        assert!(f.checked("team-2", "x", "1", true));
    }
}
