//! A real OAuth 2 / OpenID server on 127.0.0.1 for the conformance run and the demo:
//! npm's `oauth2-mock-server`, installed under cargo's `target/xtask/` on first use.

use crate::node_service::{NodeService, free_port};
use crate::util::Workspace;

/// Pinned: version 9 needs a newer Node than Debian's.
const PACKAGE: &str = "oauth2-mock-server@8.2.3";

/// The server script. Besides the package's behaviour it answers, for tests of error
/// paths, `invalid_grant` to the password grant of user `reject`, and `access_denied`
/// (instead of a code) to the authorization requests of client `denied-client`, as a
/// server does when the person declines.
const SCRIPT: &str = r#"
import { OAuth2Server } from 'oauth2-mock-server';
const port = Number(process.argv[2]);
const server = new OAuth2Server();
await server.issuer.keys.generate('RS256');
server.issuer.url = `http://127.0.0.1:${port}`;
server.service.on('beforeResponse', (resp, req) => {
  const b = req.body || {};
  if (b.grant_type === 'password' && b.username === 'reject') {
    resp.statusCode = 400;
    resp.body = { error: 'invalid_grant', error_description: 'the grant was rejected' };
  }
});
server.service.on('beforeAuthorizeRedirect', (redirect, req) => {
  if (req.query.client_id === 'denied-client') {
    redirect.url.searchParams.delete('code');
    redirect.url.searchParams.set('error', 'access_denied');
    redirect.url.searchParams.set('error_description', 'The person declined the request');
  }
});
await server.start(port, '127.0.0.1');
console.log(`ready ${server.issuer.url}`);
process.on('SIGTERM', async () => { await server.stop(); process.exit(0); });
"#;

/// A running server; dropping it stops it.
pub(crate) struct OAuthServer {
    _service: NodeService,
    issuer: String,
}

impl OAuthServer {
    /// Installs the package when missing, starts the server on a free port and waits
    /// until its discovery document answers.
    pub(crate) fn start(ws: &Workspace) -> Result<OAuthServer, String> {
        let port = free_port()?;
        let service = NodeService::start(ws, PACKAGE, SCRIPT, &[port.to_string()], port)?;
        Ok(OAuthServer {
            _service: service,
            issuer: format!("http://127.0.0.1:{port}"),
        })
    }

    /// The issuer URL (`http://127.0.0.1:PORT`).
    pub(crate) fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The environment the ignored integration tests read.
    pub(crate) fn env(&self) -> Vec<(String, String)> {
        vec![("AUTHCTL_TEST_OAUTH_ISSUER".into(), self.issuer.clone())]
    }
}
