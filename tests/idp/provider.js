// The OpenID provider the tests sign in against: oidc-provider (OpenID Certified) with a login
// page of its own, for tests only.
//
//   node provider.js CONFIG.json
//
// CONFIG.json: {"port": 0, "issuer": "http://127.0.0.1:<port>", "users_file": "...",
//               "clients": [{client_id, client_secret, redirect_uris, post_logout_redirect_uris}]}
// users_file (re-read on every look-up, so a test changes groups or disables a user by
// rewriting it): {"<username>": {"password": "...", "name": "...", "email": "...",
//                                "groups": ["..."], "disabled": false}}
// A disabled or missing user cannot sign in, and its refresh tokens and access tokens stop
// working (the provider finds no account for them).
// "groups_in_id_token_only": true makes it behave as Entra ID does: the groups claim is in the
// ID token (also on a refresh) and not in userinfo.
//
// Prints "listening <issuer>" once it serves; stops on SIGTERM and SIGINT.

import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';

import Provider from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));

function users() {
  return JSON.parse(readFileSync(config.users_file, 'utf8'));
}

function activeUser(username) {
  const user = users()[username];
  return user && !user.disabled ? user : undefined;
}

const signingKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });

const provider = new Provider(config.issuer, {
  clients: config.clients.map((client) => ({
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_post',
    ...client,
  })),
  jwks: { keys: [{ ...signingKey, use: 'sig', kid: 'test-signing-key' }] },
  cookies: { keys: [Math.random().toString(36).slice(2) + Math.random().toString(36).slice(2)] },
  claims: {
    openid: ['sub'],
    profile: ['name', 'preferred_username'],
    email: ['email', 'email_verified'],
    groups: ['groups'],
  },
  // The authorization code flow with PKCE (S256) for every client, confidential ones included.
  pkce: { required: () => true },
  // A refresh token for every client allowed the grant: the dashboard re-validates with it.
  issueRefreshToken: async (ctx, client) => client.grantTypeAllowed('refresh_token'),
  features: {
    devInteractions: { enabled: false },
    rpInitiatedLogout: { enabled: true },
  },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  conformIdTokenClaims: !config.groups_in_id_token_only,
  async findAccount(ctx, sub) {
    const user = activeUser(sub);
    if (!user) return undefined;
    return {
      accountId: sub,
      async claims(use) {
        const current = activeUser(sub) || user;
        const groups = config.groups_in_id_token_only && use !== 'id_token' ? undefined : current.groups || [];
        return {
          sub,
          preferred_username: sub,
          name: current.name || sub,
          email: current.email || `${sub}@example.test`,
          email_verified: true,
          groups,
        };
      },
    };
  },
});

function escapeHtml(value) {
  return String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function loginPage(uid, error) {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Test directory: sign in</title></head>
<body>
<h1>Test directory</h1>
${error ? `<p role="alert">${escapeHtml(error)}</p>` : ''}
<form method="post" action="/interaction/${escapeHtml(uid)}/login">
<label>Directory username <input name="login" autocomplete="username" required></label>
<label>Directory password <input name="password" type="password" autocomplete="current-password" required></label>
<button type="submit">Sign in to the directory</button>
</form>
</body></html>`;
}

async function formBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function send(res, status, html) {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(html);
}

async function consent(interaction) {
  const { prompt: { details }, params, session } = interaction;
  const grant = interaction.grantId
    ? await provider.Grant.find(interaction.grantId)
    : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
  if (details.missingOIDCScope) grant.addOIDCScope(details.missingOIDCScope.join(' '));
  if (details.missingOIDCClaims) grant.addOIDCClaims(details.missingOIDCClaims);
  if (details.missingResourceScopes) {
    for (const [indicator, scopes] of Object.entries(details.missingResourceScopes)) {
      grant.addResourceScope(indicator, scopes.join(' '));
    }
  }
  return { consent: { grantId: await grant.save() } };
}

async function interactionRoute(req, res) {
  const match = /^\/interaction\/([^/]+)(\/login)?$/.exec(new URL(req.url, config.issuer).pathname);
  if (!match) return false;
  const interaction = await provider.interactionDetails(req, res);
  if (interaction.prompt.name === 'consent') {
    // The dashboard is the company's own application: consent is given by the company.
    await provider.interactionFinished(req, res, await consent(interaction), { mergeWithLastSubmission: true });
    return true;
  }
  if (req.method === 'GET') {
    send(res, 200, loginPage(interaction.uid));
    return true;
  }
  const form = await formBody(req);
  const username = form.get('login') || '';
  const user = activeUser(username);
  if (!user || user.password !== form.get('password')) {
    send(res, 200, loginPage(interaction.uid, 'Unknown user, wrong password or disabled account.'));
    return true;
  }
  await provider.interactionFinished(req, res, { login: { accountId: username } }, { mergeWithLastSubmission: false });
  return true;
}

const callback = provider.callback();
const server = http.createServer(async (req, res) => {
  if (req.url === '/favicon.ico') {  // browsers ask; nothing to show
    res.writeHead(204);
    res.end();
    return;
  }
  try {
    if (await interactionRoute(req, res)) return;
  } catch (error) {
    send(res, 400, `<!doctype html><title>Error</title><p>${escapeHtml(error.message)}</p>`);
    return;
  }
  callback(req, res);
});

server.listen(config.port, '127.0.0.1', () => {
  process.stdout.write(`listening ${config.issuer}\n`);
});

function stop() {
  server.close(() => process.exit(0));
  server.closeAllConnections();
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
