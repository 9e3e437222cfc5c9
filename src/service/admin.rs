//! The `paratag.v1.Admin` service: operations for the people who run paratag.

use super::State;
use super::pb;
use std::path::PathBuf;
use std::sync::Arc;
use tonic::{Request, Response, Status};

/// Implementation of the Admin service (served only with `--admin`, behind bearer tokens).
pub(crate) struct AdminService {
    state: Arc<State>,
}

impl AdminService {
    pub(crate) fn new(state: Arc<State>) -> Self {
        AdminService { state }
    }
}

#[tonic::async_trait]
impl pb::admin_server::Admin for AdminService {
    async fn reload_model(
        &self,
        request: Request<pb::ReloadModelRequest>,
    ) -> Result<Response<pb::ReloadModelResponse>, Status> {
        let path = request.into_inner().path;
        let path = (!path.is_empty()).then(|| PathBuf::from(path));
        let (version, previous_version, secs) = self.state.reload(path).await?;
        Ok(Response::new(pb::ReloadModelResponse {
            version,
            previous_version,
            load_ms: secs * 1000.0,
        }))
    }
}
