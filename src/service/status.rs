//! The single mapping from paratag's [`Error`] to gRPC status codes.
//!
//! | error | code | should a caller retry? |
//! |---|---|---|
//! | `InvalidArgument` (also a body that does not decode: see `codec`) | `INVALID_ARGUMENT`, with a `google.rpc.BadRequest` detail naming the field | no: fix the request |
//! | `AnswerTooLarge` | `OUT_OF_RANGE`, saying the answer's size and how to ask for less | no: ask for less |
//! | `Unavailable` | `UNAVAILABLE` | yes, with back-off or on another replica |
//! | `Model` (a reload refused) | `FAILED_PRECONDITION` | no: fix the model file |
//! | anything else | `INTERNAL`; the detail is logged, not sent | no |

use crate::error::Error;
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

/// The error of one item of a stream: the same code and message the item would have received
/// as a unary call, so streams and unary calls report errors alike.
pub(crate) fn item_error(err: Error) -> super::pb::ItemError {
    let field = match &err {
        Error::InvalidArgument { field, .. } => field.clone(),
        _ => String::new(),
    };
    let status = Status::from(err);
    super::pb::ItemError {
        code: status.code() as i32,
        message: status.message().to_owned(),
        field,
    }
}

impl From<Error> for Status {
    fn from(err: Error) -> Status {
        match err {
            Error::InvalidArgument { field, reason } => Status::with_error_details(
                Code::InvalidArgument,
                format!("{field}: {reason}"),
                ErrorDetails::with_bad_request_violation(field, reason),
            ),
            too_large @ Error::AnswerTooLarge { .. } => Status::out_of_range(too_large.to_string()),
            Error::Unavailable(why) => Status::unavailable(why),
            // Only the Admin service loads models on request; its callers run the server.
            model @ Error::Model { .. } => Status::failed_precondition(model.to_string()),
            other => {
                tracing::error!(error = %other, "request failed with an internal error");
                Status::internal("internal error; the server log has the details")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_argument_names_the_field_in_message_and_details() {
        let s = Status::from(Error::invalid("texts[2]", "must not be empty"));
        assert_eq!(s.code(), Code::InvalidArgument);
        assert_eq!(s.message(), "texts[2]: must not be empty");
        let details = s.get_error_details();
        let v = &details.bad_request().unwrap().field_violations[0];
        assert_eq!(v.field, "texts[2]");
        assert_eq!(v.description, "must not be empty");
    }

    #[test]
    fn stream_item_errors_carry_the_unary_code_message_and_field() {
        let e = item_error(Error::invalid("text", "must not be empty"));
        assert_eq!(e.code, Code::InvalidArgument as i32);
        assert_eq!(e.message, "text: must not be empty");
        assert_eq!(e.field, "text");
    }

    #[test]
    fn unavailable_is_retryable_and_internal_errors_leak_nothing() {
        assert_eq!(
            Status::from(Error::Unavailable("warming up".into())).code(),
            Code::Unavailable
        );
        let s = Status::from(Error::Internal("secret path /etc/x".into()));
        assert_eq!(s.code(), Code::Internal);
        assert!(!s.message().contains("/etc/x"));
    }
}
