// A strict OpenID provider for the conformance run: panva's `oidc-provider`, configured
// by this project. Started by `xtask/src/oidc_provider.rs` as
//
//     node server.mjs PORT PAR_PORT DIR
//
// It serves two providers from one process:
//   - http://127.0.0.1:PORT      the main one;
//   - http://127.0.0.1:PAR_PORT  the same configuration, but discovery says
//     `require_pushed_authorization_requests` and every authorization request must be pushed.
//
// Switched on: client authentication with client_secret_basic/post, client_secret_jwt and
// private_key_jwt; PAR; DPoP (nonces for the client `dpop-nonce`); the `iss` authorization
// response parameter (always sent by oidc-provider); introspection; revocation;
// client credentials; resource indicators for https://api.example.test/...; refresh token
// rotation. Added through `registerGrantType`: the JWT bearer grant (RFC 7523 §2.1) and
// token exchange (RFC 8693), whose handlers verify the assertion's signature against a
// trusted issuer's key, its iss/sub/aud/exp and a single use of its jti, and verify a
// subject token by looking it up as an access token this server issued.
//
// Logging in needs no person: the interaction URL is answered by middleware below that
// logs in the account named by `login_hint` (else `alice`) and grants what is asked, so an
// HTTP client with a cookie jar that follows redirects reaches the redirect_uri.
//
// Key pairs are generated at start (nothing secret is committed) and written to DIR with
// `env.json`: the environment the ignored tests read (issuer, client ids, secrets, key
// files). The names are listed in xtask/src/oidc_provider.rs.

import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

import * as jose from 'jose';
import Provider, { errors } from 'oidc-provider';

const [port, parPort] = [Number(process.argv[2]), Number(process.argv[3])];
const dir = process.argv[4];

const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
const JWT_TYPE = 'urn:ietf:params:oauth:token-type:jwt';
const RESOURCE_PREFIX = 'https://api.example.test/';
const SERVICE_ACCOUNT = 'robot@authctl-test.iam.gserviceaccount.com';
const ASSERTION_ISSUER = 'https://assertions.example.test';
const ALGS = ['RS256', 'PS256', 'ES256'];

// ---- keys -----------------------------------------------------------------------------

function writeFile(name, contents) {
  const file = path.join(dir, name);
  fs.writeFileSync(file, contents, { mode: 0o600 });
  return file;
}

/** A key pair; the private half written as PEM (`format`: pkcs8, pkcs1 or sec1). */
function keyPair(kind, name, format) {
  const options = kind === 'rsa' ? { modulusLength: 2048 } : { namedCurve: 'P-256' };
  const { privateKey, publicKey } = crypto.generateKeyPairSync(kind, options);
  const pem = privateKey.export({ type: format, format: 'pem' });
  const file = writeFile(`${name}.pem`, pem);
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid: name };
  return { privateKey, publicKey, pem, file, jwk };
}

const rsaClient = keyPair('rsa', 'client-rsa', 'pkcs8');
const ecClient = keyPair('ec', 'client-ec', 'sec1');
const wrongRsa = keyPair('rsa', 'wrong-rsa', 'pkcs1');
const wrongEc = keyPair('ec', 'wrong-ec', 'pkcs8');
const assertionKey = keyPair('ec', 'assertion-ec', 'pkcs8');
const serviceAccountKey = keyPair('rsa', 'service-account', 'pkcs8');

/** The provider's own signing keys: RSA, P-256 and Ed25519. */
function signingJwks() {
  const rsa = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const ec = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  const ed = crypto.generateKeyPairSync('ed25519').privateKey;
  return {
    keys: [
      { ...rsa.export({ format: 'jwk' }), kid: 'op-rsa', use: 'sig' },
      { ...ec.export({ format: 'jwk' }), kid: 'op-ec', use: 'sig' },
      { ...ed.export({ format: 'jwk' }), kid: 'op-ed', use: 'sig' },
    ],
  };
}
const providerJwks = signingJwks();

// Issuers whose assertions the JWT bearer grant (and token exchange's `jwt` subject
// tokens) accept, with the key that must have signed them.
const trustedIssuers = new Map([
  [ASSERTION_ISSUER, { key: assertionKey.publicKey, subRequired: true }],
  // Google service accounts sign with their own key and may leave out `sub`.
  [SERVICE_ACCOUNT, { key: serviceAccountKey.publicKey, subRequired: false }],
]);

// ---- clients --------------------------------------------------------------------------

const SECRETS = {
  basic: crypto.randomBytes(24).toString('base64url'),
  post: crypto.randomBytes(24).toString('base64url'),
  jwt: crypto.randomBytes(32).toString('base64url'),
};
const REDIRECTS = ['http://127.0.0.1/', 'http://127.0.0.1/callback'];
const ALL_GRANTS = ['authorization_code', 'refresh_token', 'client_credentials', JWT_BEARER, TOKEN_EXCHANGE];

function client(id, extra) {
  return {
    client_id: id,
    application_type: 'native',
    redirect_uris: REDIRECTS,
    response_types: ['code'],
    grant_types: ALL_GRANTS,
    ...extra,
  };
}

const clients = [
  // A public native client: PKCE, loopback redirect on any port.
  client('native', {
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token', TOKEN_EXCHANGE],
  }),
  client('secret-basic', { token_endpoint_auth_method: 'client_secret_basic', client_secret: SECRETS.basic }),
  client('secret-post', { token_endpoint_auth_method: 'client_secret_post', client_secret: SECRETS.post }),
  client('secret-jwt', {
    token_endpoint_auth_method: 'client_secret_jwt',
    client_secret: SECRETS.jwt,
  }),
  // No fixed alg: RS256 or PS256 are both accepted for the RSA key.
  client('private-key-rsa', {
    token_endpoint_auth_method: 'private_key_jwt',
    jwks: { keys: [rsaClient.jwk] },
  }),
  client('private-key-ec', {
    token_endpoint_auth_method: 'private_key_jwt',
    token_endpoint_auth_signing_alg: 'ES256',
    jwks: { keys: [ecClient.jwk] },
  }),
  // Must push its authorization requests, even on the main provider.
  client('par-only', {
    token_endpoint_auth_method: 'client_secret_basic',
    client_secret: SECRETS.basic,
    require_pushed_authorization_requests: true,
  }),
  // DPoP with server nonces.
  client('dpop-nonce', { token_endpoint_auth_method: 'none', grant_types: ['authorization_code', 'refresh_token'] }),
  // Stands for "no client authentication" on a JWT bearer request (see the middleware).
  client('assertion-only', {
    token_endpoint_auth_method: 'none',
    grant_types: [JWT_BEARER],
    redirect_uris: [],
    response_types: [],
  }),
];

// ---- the grants added through registerGrantType ---------------------------------------

/** invalid_grant whose error_description says why (oidc-provider's own keeps the reason
 * in a detail field it does not send). */
function invalidGrant(description) {
  const error = new errors.InvalidGrant(description);
  error.error_description = description;
  return error;
}

function nowSeconds() {
  return Math.floor(Date.now() / 1000);
}

/** Verifies a JWT from a trusted issuer: signature, iss, sub, aud, exp, iat, jti once. */
async function verifyAssertion(provider, jwt, what) {
  let unverified;
  try {
    unverified = jose.decodeJwt(jwt);
  } catch {
    throw invalidGrant(`${what} is not a JWT`);
  }
  const trusted = trustedIssuers.get(unverified.iss);
  if (!trusted) {
    throw invalidGrant(`${what} issuer (iss) is not trusted`);
  }
  const audience = [provider.issuer, `${provider.issuer}/token`];
  let payload;
  try {
    ({ payload } = await jose.jwtVerify(jwt, trusted.key, {
      algorithms: ALGS,
      audience,
      issuer: unverified.iss,
      requiredClaims: ['exp', 'iat', 'jti'],
      clockTolerance: 5,
    }));
  } catch (e) {
    throw invalidGrant(`${what} rejected: ${e.code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' ? 'signature verification failed' : e.message}`);
  }
  if (payload.exp - nowSeconds() > 3600) {
    throw invalidGrant(`${what} expires too far in the future (more than 1 hour)`);
  }
  if (trusted.subRequired && typeof payload.sub !== 'string') {
    throw invalidGrant(`${what} has no subject (sub)`);
  }
  if (!(await provider.ReplayDetection.unique(payload.iss, payload.jti, payload.exp + 5))) {
    throw invalidGrant(`${what} was already used (jti replayed)`);
  }
  return { sub: payload.sub ?? payload.iss, scope: payload.scope };
}

/** An opaque access token for `accountId`, answered as a token response. */
async function issueAccessToken(provider, ctx, { accountId, scope, audience, extra, issuedTokenType }) {
  const token = new provider.AccessToken({
    accountId,
    client: ctx.oidc.client,
    scope: scope || undefined,
    gty: ctx.oidc.params.grant_type === JWT_BEARER ? 'jwt_bearer' : 'token_exchange',
    extra,
  });
  if (audience) {
    token.aud = audience;
  }
  const value = await token.save();
  ctx.body = {
    access_token: value,
    token_type: 'Bearer',
    expires_in: token.expiration,
    scope: token.scope,
    issued_token_type: issuedTokenType,
  };
}

function oneResource(ctx) {
  const { resource } = ctx.oidc.params;
  const list = resource === undefined ? [] : [resource].flat();
  for (const r of list) {
    if (!r.startsWith(RESOURCE_PREFIX)) {
      throw new errors.InvalidTarget(`unknown resource ${r}`);
    }
  }
  return list.length ? list : undefined;
}

function registerJwtBearer(provider) {
  provider.registerGrantType(JWT_BEARER, async (ctx) => {
    const { assertion, scope } = ctx.oidc.params;
    if (!assertion) {
      throw new errors.InvalidRequest("missing required parameter 'assertion'");
    }
    const subject = await verifyAssertion(provider, assertion, 'assertion');
    await issueAccessToken(provider, ctx, {
      accountId: subject.sub,
      scope: scope ?? subject.scope,
      audience: oneResource(ctx),
    });
  }, ['assertion', 'scope', 'resource'], ['resource']);
}

/** The subject or actor token of an exchange: an active access token of this server, or
 * a JWT from a trusted issuer. */
async function verifyExchanged(provider, token, type, what) {
  if (type === ACCESS_TOKEN_TYPE) {
    const found = (await provider.AccessToken.find(token)) ?? (await provider.ClientCredentials.find(token));
    if (!found?.isValid) {
      throw invalidGrant(`${what} is not an active access token of this server`);
    }
    return { sub: found.accountId ?? found.clientId, scope: found.scope };
  }
  if (type === JWT_TYPE) {
    return verifyAssertion(provider, token, what);
  }
  throw new errors.InvalidRequest(`unsupported ${what}_type ${type}`);
}

function registerTokenExchange(provider) {
  provider.registerGrantType(TOKEN_EXCHANGE, async (ctx) => {
    const p = ctx.oidc.params;
    for (const name of ['subject_token', 'subject_token_type']) {
      if (!p[name]) {
        throw new errors.InvalidRequest(`missing required parameter '${name}'`);
      }
    }
    if (p.requested_token_type && p.requested_token_type !== ACCESS_TOKEN_TYPE) {
      throw new errors.InvalidRequest(`requested_token_type ${p.requested_token_type} is not issued here`);
    }
    const subject = await verifyExchanged(provider, p.subject_token, p.subject_token_type, 'subject_token');
    let act;
    if (p.actor_token) {
      if (!p.actor_token_type) {
        throw new errors.InvalidRequest("missing required parameter 'actor_token_type'");
      }
      act = { sub: (await verifyExchanged(provider, p.actor_token, p.actor_token_type, 'actor_token')).sub };
    }
    let { scope } = p;
    if (scope && subject.scope) {
      const held = new Set(subject.scope.split(' '));
      const extra = scope.split(' ').filter((s) => !held.has(s));
      if (extra.length) {
        throw new errors.InvalidScope('requested scope exceeds the subject token', extra.join(' '));
      }
    }
    const resources = oneResource(ctx);
    const audience = [...(resources ?? []), ...(p.audience ? [p.audience].flat() : [])];
    await issueAccessToken(provider, ctx, {
      accountId: subject.sub,
      scope: scope ?? subject.scope,
      audience: audience.length ? audience : undefined,
      extra: act ? { act } : undefined,
      issuedTokenType: ACCESS_TOKEN_TYPE,
    });
  }, [
    'subject_token', 'subject_token_type', 'actor_token', 'actor_token_type',
    'requested_token_type', 'audience', 'resource', 'scope',
  ], ['resource', 'audience']);
}

// ---- the provider ---------------------------------------------------------------------

function configuration(requirePar) {
  return {
    clients: structuredClone(clients),
    jwks: structuredClone(providerJwks),
    cookies: { keys: ['authctl-conformance-cookie-key'] },
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name'],
    },
    scopes: ['openid', 'offline_access', 'profile', 'email'],
    async findAccount(_ctx, sub) {
      return {
        accountId: sub,
        async claims() {
          return { sub, name: sub, email: `${sub}@example.test`, email_verified: true };
        },
      };
    },
    interactions: {
      url: (_ctx, interaction) => `/interaction/${interaction.uid}`,
    },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: { enabled: true },
      revocation: { enabled: true },
      userinfo: { enabled: true },
      dPoP: {
        enabled: true,
        nonceSecret: crypto.randomBytes(32),
        requireNonce: (ctx) => ctx.oidc?.client?.clientId === 'dpop-nonce',
      },
      pushedAuthorizationRequests: {
        enabled: true,
        requirePushedAuthorizationRequests: requirePar,
      },
      resourceIndicators: {
        enabled: true,
        defaultResource: (_ctx, _client, oneOf) => oneOf,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, resource) => {
          if (!resource.startsWith(RESOURCE_PREFIX)) {
            throw new errors.InvalidTarget(`unknown resource ${resource}`);
          }
          return {
            scope: 'api:read api:write',
            audience: resource,
            accessTokenFormat: 'opaque',
            accessTokenTTL: 600,
          };
        },
      },
    },
    enabledJWA: {
      clientAuthSigningAlgValues: ['HS256', ...ALGS],
      idTokenSigningAlgValues: ['RS256', 'PS256', 'ES256', 'EdDSA'],
      dPoPSigningAlgValues: ['ES256', 'RS256', 'PS256', 'EdDSA'],
    },
    clientDefaults: {
      grant_types: ['authorization_code', 'refresh_token'],
      id_token_signed_response_alg: 'RS256',
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
    rotateRefreshToken: true,
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    pkce: { required: (_ctx, client) => client.clientAuthMethod === 'none' },
    ttl: {
      AccessToken: 600,
      ClientCredentials: 600,
      IdToken: 600,
      RefreshToken: 86400,
      Grant: 86400,
      Interaction: 600,
      Session: 86400,
    },
    renderError(ctx, out) {
      ctx.type = 'json';
      ctx.body = out;
    },
  };
}

/** Answers the interaction URL without a person: log in, then consent to what is asked. */
function interactions(provider) {
  provider.use(async (ctx, next) => {
    if (!/^\/interaction\/[^/]+$/.test(ctx.path)) {
      return next();
    }
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    const { prompt, params, session } = details;
    let result;
    if (prompt.name === 'login') {
      result = { login: { accountId: params.login_hint || 'alice' } };
    } else if (prompt.name === 'consent') {
      const grant = details.grantId
        ? await provider.Grant.find(details.grantId)
        : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
      const missing = prompt.details;
      if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
      if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
      for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
        grant.addResourceScope(indicator, scopes.join(' '));
      }
      result = { consent: { grantId: await grant.save() } };
    } else {
      result = { error: 'access_denied', error_description: `unexpected prompt ${prompt.name}` };
    }
    const to = await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: true });
    ctx.status = 303;
    ctx.redirect(to);
  });
}

/** A JWT bearer request that authenticates no client (as Google's token endpoint takes
 * it) is attributed to the public client `assertion-only`; everything else passes as is. */
function bareAssertions(provider) {
  provider.use(async (ctx, next) => {
    if (ctx.method === 'POST' && ctx.path === '/token' && ctx.is('application/x-www-form-urlencoded')) {
      const chunks = [];
      for await (const chunk of ctx.req) chunks.push(chunk);
      const body = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      if (
        body.get('grant_type') === JWT_BEARER
        && !body.has('client_id') && !body.has('client_assertion') && !ctx.headers.authorization
      ) {
        body.set('client_id', 'assertion-only');
      }
      ctx.req.body = body.toString();
    }
    return next();
  });
}

function start(listenPort, requirePar) {
  const issuer = `http://127.0.0.1:${listenPort}`;
  const provider = new Provider(issuer, configuration(requirePar));
  provider.proxy = false;
  bareAssertions(provider);
  interactions(provider);
  registerJwtBearer(provider);
  registerTokenExchange(provider);
  return { issuer, server: provider.listen(listenPort, '127.0.0.1') };
}

const main = start(port, false);
const par = start(parPort, true);

const serviceAccountFile = writeFile('service-account.json', JSON.stringify({
  type: 'service_account',
  project_id: 'authctl-test',
  private_key_id: 'service-account',
  private_key: serviceAccountKey.pem,
  client_email: SERVICE_ACCOUNT,
  client_id: '100000000000000000001',
  auth_uri: `${main.issuer}/auth`,
  token_uri: `${main.issuer}/token`,
  auth_provider_x509_cert_url: 'https://www.googleapis.com/oauth2/v1/certs',
  client_x509_cert_url: 'https://www.googleapis.com/robot/v1/metadata/x509/robot',
  universe_domain: 'googleapis.com',
}, null, 2));

const env = {
  AUTHCTL_TEST_OIDC_ISSUER: main.issuer,
  AUTHCTL_TEST_OIDC_PAR_ISSUER: par.issuer,
  AUTHCTL_TEST_OIDC_RESOURCE: `${RESOURCE_PREFIX}orders`,
  AUTHCTL_TEST_OIDC_NATIVE_CLIENT: 'native',
  AUTHCTL_TEST_OIDC_BASIC_CLIENT: 'secret-basic',
  AUTHCTL_TEST_OIDC_BASIC_SECRET: SECRETS.basic,
  AUTHCTL_TEST_OIDC_POST_CLIENT: 'secret-post',
  AUTHCTL_TEST_OIDC_POST_SECRET: SECRETS.post,
  AUTHCTL_TEST_OIDC_SECRET_JWT_CLIENT: 'secret-jwt',
  AUTHCTL_TEST_OIDC_SECRET_JWT_SECRET: SECRETS.jwt,
  AUTHCTL_TEST_OIDC_RSA_CLIENT: 'private-key-rsa',
  AUTHCTL_TEST_OIDC_RSA_KEY_FILE: rsaClient.file,
  AUTHCTL_TEST_OIDC_RSA_KEY_ID: rsaClient.jwk.kid,
  AUTHCTL_TEST_OIDC_EC_CLIENT: 'private-key-ec',
  AUTHCTL_TEST_OIDC_EC_KEY_FILE: ecClient.file,
  AUTHCTL_TEST_OIDC_WRONG_RSA_KEY_FILE: wrongRsa.file,
  AUTHCTL_TEST_OIDC_WRONG_EC_KEY_FILE: wrongEc.file,
  AUTHCTL_TEST_OIDC_PAR_CLIENT: 'par-only',
  AUTHCTL_TEST_OIDC_PAR_SECRET: SECRETS.basic,
  AUTHCTL_TEST_OIDC_DPOP_NONCE_CLIENT: 'dpop-nonce',
  AUTHCTL_TEST_OIDC_ASSERTION_ISSUER: ASSERTION_ISSUER,
  AUTHCTL_TEST_OIDC_ASSERTION_KEY_FILE: assertionKey.file,
  AUTHCTL_TEST_OIDC_SERVICE_ACCOUNT_FILE: serviceAccountFile,
};
writeFile('env.json', JSON.stringify(env, null, 2));

async function stop() {
  await Promise.all([main.server, par.server].map((s) => new Promise((resolve) => s.close(resolve))));
  process.exit(0);
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
