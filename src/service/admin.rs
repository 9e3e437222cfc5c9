//! The `paratag.v1.Admin` service: operations for the people who run paratag.

use super::State;
use super::pb;
use std::path::PathBuf;
use std::sync::Arc;
use tonic::{Request, Response, Status};

/// Implementation of the Admin service (enabled only with `--admin`, behind bearer tokens).
pub(crate) struct AdminService {
    /// The server's state; `None` when Admin is off, and every call says how to turn it on.
    state: Option<Arc<State>>,
}

impl AdminService {
    /// Admin operations on `state`.
    pub(crate) fn new(state: Arc<State>) -> Self {
        AdminService { state: Some(state) }
    }

    /// The service of a server started without `--admin`: reflection does not list it, and
    /// a call is answered UNIMPLEMENTED with how to enable it (rather than an empty message).
    pub(crate) fn disabled() -> Self {
        AdminService { state: None }
    }
}

#[tonic::async_trait]
impl pb::admin_server::Admin for AdminService {
    async fn reload_model(
        &self,
        request: Request<pb::ReloadModelRequest>,
    ) -> Result<Response<pb::ReloadModelResponse>, Status> {
        let Some(state) = &self.state else {
            return Err(Status::unimplemented(
                "the Admin service is off on this server; start it with --admin (or \
                 PARATAG_ADMIN=true) and bearer tokens (--auth-tokens-file) to use ReloadModel",
            ));
        };
        let path = request.into_inner().path;
        let path = (!path.is_empty()).then(|| PathBuf::from(path));
        let (version, previous_version, secs) = state.reload(path).await?;
        Ok(Response::new(pb::ReloadModelResponse {
            version,
            previous_version,
            load_ms: secs * 1000.0,
        }))
    }
}
